/** The camera page: the page itself, the snapshot endpoint it posts to, and its static files. */
import { Hono } from "hono";
import { AppError, type Inference } from "../inference/mod.ts";
import { readForm } from "./read_form.ts";
import { serverTiming } from "./server_timing.ts";
import { staticFiles } from "./static_files.ts";
import { CameraPage } from "./views/camera_page.tsx";
import type { AssetUrls } from "./views/layout.tsx";
import { hotdogHint, Overlay } from "./views/overlay.tsx";
import { Verdict } from "./views/verdict.tsx";

export interface PageDeps {
  inference: Pick<Inference, "info" | "detect">;
}

// The page loads only its own files; blob: is the uploaded photo, data: the inline icon.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function pageRoutes(deps: PageDeps): Hono {
  const files = staticFiles();
  const assets: AssetUrls = {
    css: files.url("style.css"),
    htmx: files.url("htmx.min.js"),
    app: files.url("app.js"),
    modules: files.imports("app.js"),
  };
  const app = new Hono();

  app.get("/", (c) => {
    c.header("Cache-Control", "no-cache");
    c.header("Content-Security-Policy", PAGE_CSP);
    return c.html(<CameraPage info={deps.inference.info} assets={assets} />);
  });

  app.post("/detect", async (c) => {
    const image = (await readForm(c.req.raw))?.get("image");
    if (!(image instanceof File)) {
      throw new AppError(
        "missing_field",
        "Send the snapshot as a JPEG, PNG or WebP file in the multipart/form-data field `image`",
      );
    }
    if (image.size === 0) throw new AppError("empty_input", "The image file is empty (0 bytes)");
    const bytes = new Uint8Array(await image.arrayBuffer());
    const result = await deps.inference.detect(bytes, { signal: c.req.raw.signal });
    c.header("Server-Timing", serverTiming(result.timings));
    c.header("Cache-Control", "no-store");
    return c.html(
      <>
        <Overlay
          width={result.width}
          height={result.height}
          detections={result.detections}
          hint={hotdogHint(result)}
        />
        <Verdict result={result} oob />
      </>,
    );
  });

  app.get("/static/:name", files.serve);

  return app;
}
