/** The page's static files: read, versioned and gzipped once at start, served from a fixed map. */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Handler } from "hono";
import { AppError } from "../inference/mod.ts";

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The browser's ES modules in `static/`; `app.js` is the entry the page loads. */
const MODULES = [
  "app.js",
  "camera.js",
  "geometry.js",
  "overlay.js",
  "pacing.js",
  "page.js",
  "snapshot.js",
  "snapshot_loop.js",
  "status.js",
];

// Only these names are served; anything else is a 404.
const OTHER_FILES: Record<string, { url: URL; contentType: string }> = {
  "style.css": { url: new URL("../static/style.css", import.meta.url), contentType: CSS },
  // Served from the npm package on disk, never from a CDN.
  "htmx.min.js": {
    url: new URL(import.meta.resolve("htmx.org/dist/htmx.min.js")),
    contentType: JS,
  },
};

interface StaticFile {
  body: Uint8Array<ArrayBuffer>;
  /** The same bytes gzipped once at startup: htmx shrinks from 52 kB to 16 kB for phones. */
  gzip: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Short content hash: the `?v=` of versioned URLs and the ETag. */
  version: string;
  /** The modules this one imports, by name. */
  imports: string[];
}

/** A module as served: its imports rewritten to versioned URLs, and its own version. */
export interface VersionedModule {
  text: string;
  version: string;
  imports: string[];
}

// A static import or re-export of a sibling: `from "./x.js"`, `import "./x.js"`. The browser
// code uses no other kind (no dynamic import()), so these are all the specifiers there are.
const SIBLING_IMPORT = /(?<=\b(?:from|import)\s*)(["'])\.\/([\w-]+\.js)\1/g;

function hash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64url").slice(0, 16);
}

/**
 * Rewrites each module's sibling imports to `./x.js?v=<x's version>` and versions the result.
 * A module's version so covers every module under it: change one and the URL of each module
 * that imports it, directly or not, up to the entry, changes too, so a cached module can never
 * meet a stale import. Unknown imports and import cycles are refused at start.
 */
export function versionModules(sources: Map<string, string>): Map<string, VersionedModule> {
  const done = new Map<string, VersionedModule>();
  const visiting: string[] = [];
  const visit = (name: string): VersionedModule => {
    const known = done.get(name);
    if (known) return known;
    if (visiting.includes(name)) {
      throw new Error(
        `Cannot version ${name}: it imports itself (${[...visiting, name].join(" -> ")})`,
      );
    }
    const source = sources.get(name)!;
    visiting.push(name);
    const imports: string[] = [];
    const text = source.replace(SIBLING_IMPORT, (_match, quote: string, dep: string) => {
      if (!sources.has(dep)) {
        throw new Error(`Cannot version ${name}: it imports ${dep}, which is not a static module`);
      }
      if (!imports.includes(dep)) imports.push(dep);
      return `${quote}./${dep}?v=${visit(dep).version}${quote}`;
    });
    visiting.pop();
    const module = { text, version: hash(new TextEncoder().encode(text)), imports };
    done.set(name, module);
    return module;
  };
  for (const name of sources.keys()) visit(name);
  return done;
}

function read(url: URL): Uint8Array<ArrayBuffer> {
  try {
    return Deno.readFileSync(url);
  } catch (err) {
    const why = (err as Error).message;
    throw new AppError("internal", `Cannot read static file ${url.href}: ${why}`, { cause: err });
  }
}

function staticFile(body: Uint8Array<ArrayBuffer>, contentType: string, imports: string[] = []) {
  const gzip = Uint8Array.from(gzipSync(body, { level: 9 }));
  return { body, gzip, contentType, version: hash(body), imports };
}

const YEAR = 365 * 24 * 60 * 60;

/** True unless the client does not list gzip or refuses it with `q=0`. */
function acceptsGzip(header: string | undefined): boolean {
  const gzip = (header ?? "").split(",").map((p) => p.trim().toLowerCase())
    .find((p) => p === "gzip" || p.startsWith("gzip;"));
  return gzip !== undefined && !/;\s*q=0(\.0+)?$/.test(gzip);
}

export interface StaticFiles {
  /** The versioned URL of a file: `/static/<name>?v=<content hash>`. */
  url(name: string): string;
  /** Versioned URLs of every module `entry` imports, directly or not (for modulepreload). */
  imports(entry: string): string[];
  /** `GET /static/:name`: immutable for the current version, ETag and gzip for all. */
  serve: Handler;
}

/** Reads the static files (they are small) so the page gets stable, content-versioned URLs. */
export function staticFiles(): StaticFiles {
  const files = new Map<string, StaticFile>();
  for (const [name, { url, contentType }] of Object.entries(OTHER_FILES)) {
    files.set(name, staticFile(read(url), contentType));
  }
  const decoder = new TextDecoder();
  const sources = new Map(MODULES.map((name) => {
    return [name, decoder.decode(read(new URL(`../static/${name}`, import.meta.url)))];
  }));
  for (const [name, module] of versionModules(sources)) {
    files.set(name, staticFile(new TextEncoder().encode(module.text), JS, module.imports));
  }

  const url = (name: string) => `/static/${name}?v=${files.get(name)!.version}`;
  const imports = (entry: string) => {
    const seen = new Set<string>();
    const walk = (name: string) => {
      for (const dep of files.get(name)!.imports) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        walk(dep);
      }
    };
    walk(entry);
    return [...seen].map(url);
  };

  const serve: Handler = (c) => {
    const name = c.req.param("name") ?? "";
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
  };

  return { url, imports, serve };
}
