/** The native JSON API: detect and model info, its OpenAPI document, and the human API page. */
import { createHash } from "node:crypto";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import {
  AppError,
  type DetectResult,
  type Inference,
  type ModelInfo,
  roundResult,
} from "../inference/mod.ts";
import { DetectForm, DetectQuery, type DetectResponse, type ModelResponse } from "./api_schemas.ts";
import { readBodyLimited } from "./body_limit.ts";
import { openApiDocument } from "./openapi.ts";
import { readForm } from "./read_form.ts";
import { serverTiming } from "./server_timing.ts";
import { ApiDocs, DOCS_CSS } from "./views/docs.tsx";

export interface ApiDeps {
  inference: Pick<Inference, "info" | "detect">;
  /** Largest upload, in bytes (the app's guards enforce it too, while the body streams). */
  maxBodyBytes: number;
  /** API keys are configured (the app checks them); the docs say so. */
  auth: boolean;
}

// The docs page needs nothing but its one inline style.
const DOCS_CSP = `default-src 'none'; style-src 'sha256-${
  createHash("sha256").update(DOCS_CSS).digest("base64")
}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function apiRoutes(deps: ApiDeps): Hono {
  const { inference, maxBodyBytes } = deps;
  const info = inference.info;
  // Built once: the document depends only on the model and the configuration, and `servers`
  // on the origin the client used, filled in per request.
  const openApi = openApiDocument({ modelName: info.name, auth: deps.auth });
  const app = new Hono();

  app.post("/api/v1/detect", async (c) => {
    // The query first: a bad parameter is refused before the upload is read.
    const query = parseQuery(c, info);
    const bytes = await readImage(c, maxBodyBytes);
    const result = await inference.detect(bytes, { ...query, signal: c.req.raw.signal });
    c.header("Server-Timing", serverTiming(result.timings));
    c.header("Cache-Control", "no-store");
    return c.json(toDetectResponse(info, result));
  });

  app.get("/api/v1/model", (c) => {
    const size = { width: info.inputWidth, height: info.inputHeight };
    const body: ModelResponse = {
      name: info.name,
      inputSize: size,
      inputSizes: [size],
      classes: [...info.classNames],
      thresholds: {
        conf: info.conf,
        iou: info.iou,
        maxDetections: info.maxDetections,
        hotdog: info.hotdogThreshold,
      },
      verdict: info.verdict,
      limits: { maxBodyBytes },
    };
    return c.json(body);
  });

  app.get("/openapi.json", (c) => {
    c.header("Cache-Control", "no-cache");
    const servers = [{ url: new URL(c.req.url).origin, description: "This server." }];
    return c.body(JSON.stringify({ ...openApi, servers }), 200, {
      "Content-Type": "application/json; charset=UTF-8",
    });
  });

  app.get("/api/docs", (c) => {
    c.header("Cache-Control", "no-cache");
    c.header("Content-Security-Policy", DOCS_CSP);
    return c.html(ApiDocs({
      baseUrl: new URL(c.req.url).origin,
      modelName: info.name,
      inputWidth: info.inputWidth,
      inputHeight: info.inputHeight,
      classCount: info.classNames.length,
      auth: deps.auth,
    }));
  });

  return app;
}

/**
 * CORS for the APIs, for browser apps on the listed origins ("*" for any). Bearer tokens, not
 * cookies, so no credentials; the exposed headers are the ones a client acts on.
 */
export function apiCors(origins: readonly string[]): MiddlewareHandler {
  return cors({
    origin: origins.includes("*") ? "*" : [...origins],
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: [
      "Server-Timing",
      "X-Request-Id",
      "Retry-After",
      "RateLimit",
      "RateLimit-Policy",
      "WWW-Authenticate",
    ],
    maxAge: 600,
  });
}

/** The detector's result in the documented shape, with the model that produced it. */
export function toDetectResponse(info: ModelInfo, unrounded: DetectResult): DetectResponse {
  const result = roundResult(unrounded);
  // Field by field, so that what is sent is exactly what /openapi.json documents.
  return {
    model: { name: info.name, inputSize: { width: info.inputWidth, height: info.inputHeight } },
    width: result.width,
    height: result.height,
    hotdog: result.hotdog,
    hotdogScore: result.hotdogScore,
    verdict: verdictOf(info, result),
    detections: result.detections.map((d) => ({
      label: d.label,
      classId: d.classId,
      score: d.score,
      box: { x1: d.box.x1, y1: d.box.y1, x2: d.box.x2, y2: d.box.y2 },
    })),
    timings: result.timings,
  };
}

// A result from the in-process detector always carries its verdict; a remote one may not.
function verdictOf(info: ModelInfo, result: DetectResult): DetectResponse["verdict"] {
  const v = result.verdict;
  if (!v) {
    return {
      source: "class",
      threshold: info.hotdogThreshold,
      classScore: result.hotdogScore,
      foodScore: 0,
      region: null,
      secondOpinion: null,
    };
  }
  const b = v.region?.box;
  return {
    source: v.source,
    threshold: v.threshold,
    classScore: v.classScore,
    foodScore: v.foodScore,
    region: v.region && b
      ? { box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, score: v.region.score }
      : null,
    secondOpinion: v.secondOpinion ?? null,
  };
}

/** The validated query as detector options; class names resolved to ids. */
function parseQuery(c: Context, info: ModelInfo) {
  const parsed = DetectQuery.safeParse(c.req.query());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === "unrecognized_keys"
        ? `unknown parameter ${i.keys.join(", ")} (known: ${
          Object.keys(DetectQuery.shape).join(", ")
        })`
        : i.message
    );
    throw new AppError("invalid_parameter", `Bad query: ${problems.join("; ")}`);
  }
  const { conf, iou, max, classes } = parsed.data;
  return {
    conf,
    iou,
    maxDetections: max,
    classes: classes === undefined ? undefined : classIds(classes, info.classNames),
  };
}

/** Resolves `person,hot dog,0` to class ids: names case-insensitively, or ids. */
export function classIds(list: string, names: readonly string[]): number[] {
  const byName = new Map(names.map((n, i) => [n.toLowerCase(), i]));
  const ids = new Set<number>();
  for (const raw of list.split(",")) {
    const item = raw.trim();
    const id = /^\d+$/.test(item) ? Number(item) : byName.get(item.toLowerCase());
    if (id === undefined || id >= names.length || item === "") {
      throw new AppError(
        "invalid_parameter",
        `Bad query: classes: unknown class ${JSON.stringify(item)}; use names or ids 0-${
          names.length - 1
        } from GET /api/v1/model`,
      );
    }
    ids.add(id);
  }
  return [...ids];
}

/** Content types of a raw image body. */
export const RAW_IMAGE_TYPES = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "application/octet-stream",
];

/** The image bytes, from a raw image body or the multipart field `image`. */
async function readImage(c: Context, maxBodyBytes: number): Promise<Uint8Array> {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
  let bytes: Uint8Array;
  // The declared type only says "a raw image"; the format is sniffed from the bytes.
  if (RAW_IMAGE_TYPES.includes(type)) {
    bytes = await readBodyLimited(c.req.raw, maxBodyBytes);
  } else if (type === "multipart/form-data") {
    bytes = await readFormImage(c);
  } else {
    throw new AppError(
      "unsupported_media_type",
      `Cannot read a ${type || "body without Content-Type"}: send the JPEG, PNG or WebP as ` +
        "the raw body (Content-Type: image/jpeg, image/png or image/webp), or as the " +
        "multipart/form-data field `image`",
    );
  }
  if (bytes.length === 0) throw new AppError("empty_input", "The image is empty (0 bytes)");
  return bytes;
}

async function readFormImage(c: Context): Promise<Uint8Array> {
  const form = await readForm(c.req.raw);
  const parsed = DetectForm.safeParse({ image: form?.get("image") ?? undefined });
  if (!parsed.success) {
    throw new AppError(
      "missing_field",
      "Send the image (JPEG, PNG or WebP) as a file in the multipart/form-data field `image` " +
        "(curl: -F image=@photo.jpg)",
    );
  }
  return new Uint8Array(await parsed.data.image.arrayBuffer());
}
