/** The human API page: both APIs with copy-paste curl examples for this very server. */
import { raw } from "hono/html";
import { DEEPSTACK_SAMPLE, NATIVE_SAMPLE } from "./api_samples.ts";

/** The page's only style; the route allows exactly this text by hash in its CSP. */
export const DOCS_CSS = [
  "body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;" +
  "color:#eee;background:#111}",
  "a{color:#ffcc4d}",
  "h1,h2,h3{line-height:1.2}",
  "h2{margin-top:2.5rem;border-bottom:1px solid #333;padding-bottom:.3rem}",
  "pre{background:#1d1d1d;padding:.8rem;overflow-x:auto;border-radius:6px}",
  "code{font:14px/1.4 ui-monospace,monospace}",
  "table{border-collapse:collapse}",
  "td,th{border:1px solid #333;padding:.3rem .6rem;text-align:left;vertical-align:top}",
].join("\n");

export interface DocsProps {
  /** Where this server was reached, e.g. http://192.168.1.20:8000, for the examples. */
  baseUrl: string;
  modelName: string;
  inputWidth: number;
  inputHeight: number;
  classCount: number;
  /** API keys are configured. */
  auth: boolean;
}

const Code = ({ children }: { children: string }) => <pre><code>{children}</code></pre>;

export function ApiDocs(props: DocsProps) {
  const { baseUrl: u, modelName, auth } = props;
  const bearer = auth ? ` \\\n  -H "Authorization: Bearer $KEY"` : "";
  const formKey = auth ? ` \\\n  -F api_key="$KEY"` : "";
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="dark" />
          <title>nothotdog API</title>
          <style dangerouslySetInnerHTML={{ __html: DOCS_CSS }} />
        </head>
        <body>
          <h1>nothotdog API</h1>
          <p>
            Object detection with <strong>{modelName}</strong> at {props.inputWidth}x
            {props.inputHeight} ({props.classCount}{" "}
            classes), on CPU. Two APIs: the native JSON API, and the DeepStack / CodeProject.AI API
            that Frigate, Home Assistant, Blue Iris, Agent DVR and Double Take speak. The
            machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).
          </p>
          {auth
            ? (
              <p>
                <strong>API keys are required.</strong> Send{" "}
                <code>Authorization: Bearer KEY</code>; DeepStack clients may send the{" "}
                <code>api_key</code> form field instead. The examples read the key from{" "}
                <code>$KEY</code>.
              </p>
            )
            : null}

          <h2>Native API</h2>
          <h3>POST /api/v1/detect</h3>
          <p>
            A JPEG, PNG or WebP as the raw body (the format is read from the bytes; PNG and WebP may
            be sent as <code>image/png</code>, <code>image/webp</code>):
          </p>
          <Code>
            {`curl -sS ${u}/api/v1/detect${bearer} \\\n  -H "Content-Type: image/jpeg" --data-binary @photo.jpg`}
          </Code>
          <p>
            or as the multipart field <code>image</code>, here with every query parameter:
          </p>
          <Code>
            {`curl -sS "${u}/api/v1/detect?conf=0.4&iou=0.45&classes=person,hot%20dog&max=10"${bearer} \\\n  -F image=@photo.jpg`}
          </Code>
          <table>
            <tr>
              <th>parameter</th>
              <th>meaning</th>
            </tr>
            <tr>
              <td>
                <code>conf</code>
              </td>
              <td>confidence threshold, 0-1</td>
            </tr>
            <tr>
              <td>
                <code>iou</code>
              </td>
              <td>IoU threshold of the non-maximum suppression, 0-1</td>
            </tr>
            <tr>
              <td>
                <code>classes</code>
              </td>
              <td>
                comma-separated class names or ids (see <code>/api/v1/model</code>)
              </td>
            </tr>
            <tr>
              <td>
                <code>max</code>
              </td>
              <td>at most this many detections, 1-1000</td>
            </tr>
          </table>
          <p>
            The answer for <code>tests/data/images/bus.jpg</code>{" "}
            at the default settings (scores to 0.001, boxes to 0.1 px, times to 0.1 ms):
          </p>
          <Code>{JSON.stringify(NATIVE_SAMPLE, null, 2)}</Code>
          <p>
            Boxes are in pixels of the image as displayed (EXIF orientation applied). Errors are
            {" "}
            <code>{`{"error": {"code": "...", "message": "..."}}`}</code>{" "}
            with a precise status: 400 bad request or parameter, 401 API key, 413 too large, 415 not
            a JPEG, PNG or WebP (or an animated WebP), 422 broken image, 429 rate limited and 503
            overloaded (both with <code>Retry-After</code>), 500 server fault.
          </p>
          <h3>GET /api/v1/model</h3>
          <Code>{`curl -sS ${u}/api/v1/model${bearer}`}</Code>
          <p>The model name, input size, class list (id = index) and the thresholds in force.</p>

          <h2>DeepStack / CodeProject.AI API</h2>
          <Code>
            {`curl -sS ${u}/v1/vision/detection -F image=@photo.jpg -F min_confidence=0.5${formKey}`}
          </Code>
          <p>
            The answer for <code>tests/data/images/bus.jpg</code>, with CodeProject.AI's fields:
          </p>
          <Code>{JSON.stringify(DEEPSTACK_SAMPLE, null, 2)}</Code>
          <p>
            <code>min_confidence</code> defaults to 0.4. At most 20 predictions, best first. Errors:
            {" "}
            <code>{`{"success": false, "error": "...", "duration": 0}`}</code>. Also:{" "}
            <code>POST /v1/vision/custom/{modelName}</code>, <code>GET</code> or{" "}
            <code>POST /v1/vision/custom/list</code>, <code>GET /v1/status/ping</code>,{" "}
            <code>GET /v1/status/updateavailable</code>{" "}
            (Blue Iris). Face recognition (<code>/v1/vision/face/*</code>) is not offered: those
            routes answer 404 in DeepStack's shape, as does any other path under <code>/v1</code>.
          </p>
          <h3>Frigate</h3>
          <Code>
            {`detectors:
  nothotdog:
    type: deepstack
    api_url: ${u}/v1/vision/detection
    api_timeout: 0.5${auth ? `\n    api_key: "your key"` : ""}
model:
  width: ${props.inputWidth}
  height: ${props.inputHeight}`}
          </Code>

          <h2>Command line</h2>
          <Code>
            {`npx -y deno@2 task detect --url ${u}${auth ? ` --api-key "$KEY"` : ""} photos/*.jpg`}
          </Code>
        </body>
      </html>
    </>
  );
}
