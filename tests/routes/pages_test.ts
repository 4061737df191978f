/** Route tests for the camera page, the snapshot endpoint and the static files, with the real model. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { pageRoutes } from "../../routes/pages.tsx";
import { serverTiming } from "../../routes/server_timing.ts";
import { renderError } from "../../routes/errors.ts";
import { HOTDOG_PHOTO, NOT_HOTDOG_PHOTO } from "../browser/photos.ts";

// A real 1x1 PNG, cut short for the error cases.
const PNG_1X1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  ),
  (ch) => ch.charCodeAt(0),
);

function form(image?: Blob, filename = "snapshot.jpg"): FormData {
  const body = new FormData();
  if (image) body.append("image", image, filename);
  return body;
}

const HX = { "HX-Request": "true" };

Deno.test("The camera page routes", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = new Hono();
  app.route("/", pageRoutes({ inference: detector }));
  app.onError(renderError);
  const hotdogJpeg = await Deno.readFile(HOTDOG_PHOTO);

  try {
    await t.step(
      "GET / renders the page with the model's input size for the snapshots",
      async () => {
        const res = await app.request("/");
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("Content-Type"), "text/html; charset=UTF-8");
        assert.equal(res.headers.get("Cache-Control"), "no-cache");
        assert.match(res.headers.get("Content-Security-Policy") ?? "", /script-src 'self'/);
        const html = await res.text();
        assert.match(html, /^<!doctype html><html lang="en">/);
        assert.match(
          html,
          /data-input-width="320" data-input-height="320" data-snapshot-size="320"/,
        );
        assert.match(html, /<video id="video"[^>]* autoplay muted playsinline/);
        assert.match(html, /<div id="overlay" class="overlay-box"/);
        assert.match(html, /<div id="verdict" class="verdict" data-verdict="pending">/);
        assert.match(html, /role="status" aria-live="polite"/);
        assert.match(
          html,
          /<input id="upload"[^>]* type="file" accept="image\/jpeg" capture="environment"/,
        );
        assert.match(html, /<form id="snap" hx-encoding="multipart\/form-data" hidden=""><\/form>/);
        for (const name of ["style.css", "htmx.min.js", "app.js"]) {
          assert.match(html, new RegExp(`/static/${name.replace(".", "\\.")}\\?v=[\\w-]{16}"`));
        }
      },
    );

    await t.step(
      "a wider model input size reaches the page as the snapshot's longest side",
      async () => {
        const wide = new Hono().route(
          "/",
          pageRoutes({
            inference: {
              info: { ...detector.info, inputWidth: 640 },
              detect: (bytes, options) => detector.detect(bytes, options),
            },
          }),
        );
        const html = await (await wide.request("/")).text();
        assert.match(
          html,
          /data-input-width="640" data-input-height="320" data-snapshot-size="640"/,
        );
      },
    );

    await t.step(
      "POST /detect with a hot-dog JPEG answers the overlay and the verdict",
      async () => {
        const expected = await detector.detect(hotdogJpeg);
        const res = await app.request("/detect", {
          method: "POST",
          headers: HX,
          body: form(new Blob([hotdogJpeg], { type: "image/jpeg" })),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("Content-Type"), "text/html; charset=UTF-8");
        assert.equal(res.headers.get("Cache-Control"), "no-store");
        const timing = res.headers.get("Server-Timing") ?? "";
        assert.match(
          timing,
          /^decode;dur=[\d.]+, preprocess;dur=[\d.]+, infer;dur=[\d.]+, postprocess;dur=[\d.]+, verdict;dur=[\d.]+, total;dur=[\d.]+$/,
        );
        const html = await res.text();
        assert.ok(
          html.startsWith(
            `<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${expected.width} ${expected.height}"`,
          ),
          html.slice(0, 200),
        );
        const rects = html.match(/<rect /g) ?? [];
        assert.equal(rects.length, expected.detections.length);
        assert.ok(rects.length > 0);
        assert.match(html, /data-label="hot dog"/);
        assert.match(
          html,
          /<\/svg><div id="verdict" class="verdict" data-verdict="hotdog" data-score="0\.\d{3}" hx-swap-oob="true"><p class="verdict-word">Hotdog<\/p><p class="verdict-score">hot dog score \d+%<\/p>/,
        );
      },
    );

    await t.step("POST /detect with another food says Not Hotdog", async () => {
      const res = await app.request("/detect", {
        method: "POST",
        body: form(new Blob([await Deno.readFile(NOT_HOTDOG_PHOTO)], { type: "image/jpeg" })),
      });
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /<rect /);
      assert.match(html, /data-verdict="not-hotdog"/);
      assert.match(html, /<p class="verdict-word">Not Hotdog<\/p>/);
    });

    await t.step("errors come back as HTML fragments with their status for htmx", async (t) => {
      const cases: [string, BodyInit | undefined, number, string][] = [
        ["no image field", form(), 400, "missing_field"],
        [
          "a text value instead of a file",
          (() => {
            const f = new FormData();
            f.append("image", "not a file");
            return f;
          })(),
          400,
          "missing_field",
        ],
        ["no body at all", undefined, 400, "missing_field"],
        ["an empty file", form(new Blob([]), "empty.jpg"), 400, "empty_input"],
        [
          "a PNG cut short",
          form(new Blob([PNG_1X1.slice(0, 40)], { type: "image/png" }), "dot.png"),
          422,
          "corrupt_image",
        ],
        [
          "a text file",
          form(new Blob(["hello, hotdog"], { type: "text/plain" }), "a.txt"),
          415,
          "not_image",
        ],
        [
          "a truncated JPEG",
          form(new Blob([hotdogJpeg.slice(0, 600)], { type: "image/jpeg" })),
          422,
          "corrupt_jpeg",
        ],
      ];
      for (const [name, body, status, code] of cases) {
        await t.step(`${name} is ${status} ${code}`, async () => {
          const res = await app.request("/detect", { method: "POST", headers: HX, body });
          const html = await res.text();
          assert.equal(res.status, status, html);
          assert.equal(res.headers.get("Content-Type"), "text/html; charset=UTF-8");
          assert.match(
            html,
            new RegExp(`^<div class="error" role="alert" data-error-code="${code}">`),
          );
        });
      }
    });

    await t.step("without HX-Request the same error is JSON", async () => {
      const res = await app.request("/detect", { method: "POST", body: form() });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, "missing_field");
    });

    await t.step("static files have their content type, an ETag and cache headers", async () => {
      const html = await (await app.request("/")).text();
      const types: Record<string, string> = {
        "style.css": "text/css; charset=utf-8",
        "htmx.min.js": "text/javascript; charset=utf-8",
        "app.js": "text/javascript; charset=utf-8",
      };
      for (const [name, type] of Object.entries(types)) {
        const href = new RegExp(`/static/${name.replace(".", "\\.")}\\?v=[\\w-]+`).exec(html)![0];
        const res = await app.request(href);
        assert.equal(res.status, 200, name);
        assert.equal(res.headers.get("Content-Type"), type);
        assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
        const etag = res.headers.get("ETag")!;
        assert.equal(etag, `"${href.split("?v=")[1]}"`);
        assert.ok((await res.arrayBuffer()).byteLength > 100);

        const plain = await app.request(`/static/${name}`);
        assert.equal(plain.headers.get("Cache-Control"), "public, max-age=300");
        await plain.body?.cancel();

        const again = await app.request(href, { headers: { "If-None-Match": `W/${etag}` } });
        assert.equal(again.status, 304);
        assert.equal(again.body, null);
      }
    });

    await t.step("static files are gzipped for clients that accept it", async () => {
      const plain = await app.request("/static/htmx.min.js");
      const plainBytes = new Uint8Array(await plain.arrayBuffer());
      assert.equal(plain.headers.get("Content-Encoding"), null);
      assert.equal(plain.headers.get("Vary"), "Accept-Encoding");

      const res = await app.request("/static/htmx.min.js", {
        headers: { "Accept-Encoding": "gzip, deflate, br" },
      });
      assert.equal(res.headers.get("Content-Encoding"), "gzip");
      assert.equal(res.headers.get("Vary"), "Accept-Encoding");
      assert.equal(res.headers.get("ETag"), plain.headers.get("ETag")!.replace(/"$/, '-gz"'));
      const unzipped = new Uint8Array(
        await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
      );
      assert.deepEqual(unzipped, plainBytes);
      assert.ok(Number(res.headers.get("Content-Length")) < plainBytes.length / 2);

      const refused = await app.request("/static/htmx.min.js", {
        headers: { "Accept-Encoding": "gzip;q=0, br" },
      });
      assert.equal(refused.headers.get("Content-Encoding"), null);
      await refused.body?.cancel();
    });

    await t.step("htmx is served from the npm package, not a CDN", async () => {
      const html = await (await app.request("/")).text();
      assert.doesNotMatch(html, /https?:\/\//);
      const res = await app.request("/static/htmx.min.js");
      const served = await res.text();
      const onDisk = await Deno.readTextFile(
        new URL(import.meta.resolve("htmx.org/dist/htmx.min.js")),
      );
      assert.equal(served, onDisk);
      assert.match(served, /htmx/);
    });

    await t.step("a missing static file is a 404 not_found", async () => {
      for (const path of ["/static/nope.js", "/static/..%2Fdeno.json", "/static/style.css.map"]) {
        const res = await app.request(path, { headers: HX });
        const body = await res.text();
        assert.equal(res.status, 404, path);
        assert.match(body, /data-error-code="not_found"/);
      }
    });
  } finally {
    await detector.close();
  }
});

Deno.test("serverTiming() lists every stage in milliseconds with one decimal, queue if known", () => {
  assert.equal(
    serverTiming({ decode: 1.234, preprocess: 2, infer: 30.06, postprocess: 0.04, total: 33.3 }),
    "decode;dur=1.2, preprocess;dur=2.0, infer;dur=30.1, postprocess;dur=0.0, total;dur=33.3",
  );
  assert.equal(
    serverTiming({ queue: 12.34, decode: 1, preprocess: 2, infer: 3, postprocess: 4, total: 22.3 }),
    "queue;dur=12.3, decode;dur=1.0, preprocess;dur=2.0, infer;dur=3.0, postprocess;dur=4.0," +
      " total;dur=22.3",
  );
  assert.equal(
    serverTiming({ decode: 1, preprocess: 2, infer: 3, postprocess: 4, verdict: 31.26, total: 41 }),
    "decode;dur=1.0, preprocess;dur=2.0, infer;dur=3.0, postprocess;dur=4.0, verdict;dur=31.3," +
      " total;dur=41.0",
  );
});
