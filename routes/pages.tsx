/** The camera page: the page itself, the snapshot endpoint it posts to, and its static files. */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";
import { AppError, type Inference } from "../inference/mod.ts";
import { readForm } from "./read_form.ts";
import { serverTiming } from "./server_timing.ts";
import { CameraPage } from "./views/camera_page.tsx";
import type { AssetUrls } from "./views/layout.tsx";
import { hotdogHint, Overlay } from "./views/overlay.tsx";
import { Verdict } from "./views/verdict.tsx";

export interface PageDeps {
  inference: Pick<Inference, "info" | "detect">;
}

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  /** The same bytes gzipped once at startup: htmx shrinks from 52 kB to 16 kB for phones. */
  gzip: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Short content hash: the `?v=` of versioned URLs and the ETag. */
  version: string;
}

// Read once at startup: they are small, and hashing them here gives the page stable URLs.
const STATIC_SOURCES: Record<string, { url: URL; contentType: string }> = {
  "app.js": {
    url: new URL("../static/app.js", import.meta.url),
    contentType: "text/javascript; charset=utf-8",
  },
  "style.css": {
    url: new URL("../static/style.css", import.meta.url),
    contentType: "text/css; charset=utf-8",
  },
  // Served from the npm package on disk (nodeModulesDir "auto"), never from a CDN.
  "htmx.min.js": {
    url: new URL(import.meta.resolve("htmx.org/dist/htmx.min.js")),
    contentType: "text/javascript; charset=utf-8",
  },
};

function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [name, { url, contentType }] of Object.entries(STATIC_SOURCES)) {
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = Deno.readFileSync(url);
    } catch (err) {
      const why = (err as Error).message;
      throw new AppError("internal", `Cannot read static file ${url.href}: ${why}`, { cause: err });
    }
    const version = createHash("sha256").update(body).digest("base64url").slice(0, 16);
    const gzip = Uint8Array.from(gzipSync(body, { level: 9 }));
    files.set(name, { body, gzip, contentType, version });
  }
  return files;
}

const YEAR = 365 * 24 * 60 * 60;

/** True unless the client does not list gzip or refuses it with `q=0`. */
function acceptsGzip(header: string | undefined): boolean {
  const gzip = (header ?? "").split(",").map((p) => p.trim().toLowerCase())
    .find((p) => p === "gzip" || p.startsWith("gzip;"));
  return gzip !== undefined && !/;\s*q=0(\.0+)?$/.test(gzip);
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
  const files = loadStaticFiles();
  const url = (name: string) => `/static/${name}?v=${files.get(name)!.version}`;
  const assets: AssetUrls = { css: url("style.css"), htmx: url("htmx.min.js"), app: url("app.js") };
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

  app.get("/static/:name", (c) => {
    const name = c.req.param("name");
    const file = files.get(name);
    if (!file) throw new AppError("not_found", `No static file ${name}`);
    const gzip = acceptsGzip(c.req.header("Accept-Encoding"));
    // Each encoding is its own representation, so it gets its own validator.
    const etag = gzip ? `"${file.version}-gz"` : `"${file.version}"`;
    // Only a URL naming this exact content may be cached forever; any other is revalidated.
    const cacheControl = c.req.query("v") === file.version
      ? `public, max-age=${YEAR}, immutable`
      : "public, max-age=300";
    const headers: Record<string, string> = {
      "Cache-Control": cacheControl,
      ETag: etag,
      Vary: "Accept-Encoding",
    };
    // Caches may weaken a validator (W/) when they transform; it still names these bytes.
    const match = (c.req.header("If-None-Match") ?? "").split(",").map((t) =>
      t.trim().replace(/^W\//, "")
    );
    if (match.includes(etag) || match.includes("*")) return c.body(null, 304, headers);
    headers["Content-Type"] = file.contentType;
    if (!gzip) return c.body(file.body, 200, headers);
    return c.body(file.gzip, 200, { ...headers, "Content-Encoding": "gzip" });
  });

  return app;
}
