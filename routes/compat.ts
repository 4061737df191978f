/** The DeepStack / CodeProject.AI object detection API, for Frigate, Home Assistant, Blue Iris & co. */
import { type Context, Hono } from "hono";
import { AppError, type DetectResult, type Inference, roundResult } from "../inference/mod.ts";
import {
  type CodeProjectFields,
  DEEPSTACK_ERRORS,
  DEEPSTACK_MIN_CONFIDENCE,
  DeepStackForm,
  type DeepStackResponse,
} from "./api_schemas.ts";
import { apiKeyId, type KeyRing, setApiKeyId } from "./auth.ts";
import { bodyLimit } from "./body_limit.ts";
import { readForm } from "./read_form.ts";
import { serverTiming } from "./server_timing.ts";

/**
 * Frigate's deepstack detector copies predictions into a fixed 20-row array and fails on a
 * 21st, so never send more; best first, the 20 kept are the 20 that matter.
 */
export const MAX_PREDICTIONS = 20;

// The list route's form carries at most an api_key: no reason to accept a big body there.
const LIST_BODY_LIMIT = 64 * 1024;

/** The paths that run detections, for the app to put behind the admission guards. */
export function compatDetectionPaths(modelName: string): string[] {
  return ["/v1/vision/detection", `/v1/vision/custom/${modelName}`];
}

export interface CompatDeps {
  inference: Pick<Inference, "info" | "detect">;
  keys: KeyRing;
  /** Called on a wrong or missing `api_key` field before the 401; may throw the 429. */
  onBadKey?: (c: Context) => void;
}

/** What this server reports as CodeProject.AI's version (its API level, not ours). */
export const CODEPROJECT_VERSION = { major: 2, minor: 9, patch: 0 } as const;

/**
 * CodeProject.AI's fields on every answer, from the request's X-Request-Id and the time since
 * the route began, for clients (Blue Iris, the demo clients) that read them.
 */
export function codeProjectFields(
  c: Context,
  command: string,
  modelName: string,
  started: number,
): CodeProjectFields {
  return {
    moduleId: "nothotdog",
    moduleName: `nothotdog object detection (${modelName})`,
    command,
    requestId: String(c.get("requestId" as never) ?? crypto.randomUUID()),
    inferenceDevice: "CPU" as const,
    analysisRoundTripMs: Math.trunc(performance.now() - started),
  };
}

export function compatRoutes(deps: CompatDeps): Hono {
  const { inference, keys, onBadKey } = deps;
  const name = inference.info.name;
  // No onError of its own: the app's one renderer answers in DeepStack's shape under /v1.
  const app = new Hono();

  // Liveness as CodeProject.AI answers it; Blue Iris and Agent DVR poll these.
  for (const path of ["/v1/status/ping", "/v1/server/status/ping"]) {
    app.get(path, (c) => {
      const started = performance.now();
      c.header("Cache-Control", "no-store");
      return c.json({ success: true as const, ...codeProjectFields(c, "ping", name, started) });
    });
  }

  // Blue Iris calls this at start and reports the AI as unavailable without an answer.
  app.get("/v1/status/updateavailable", (c) => {
    c.header("Cache-Control", "no-store");
    const version = {
      ...CODEPROJECT_VERSION,
      build: 0,
      preRelease: null,
      securityUpdate: false,
      file: null,
      releaseNotes: null,
    };
    return c.json({
      success: true as const,
      message: "No update: this is nothotdog, which speaks CodeProject.AI's API",
      version,
      current: version,
      latest: version,
      updateAvailable: false,
    });
  });

  const list = async (c: Context) => {
    const started = performance.now();
    const form = await readCompatForm(c, { required: false });
    checkFormKey(c, keys, form, onBadKey);
    c.header("Cache-Control", "no-store");
    return c.json({
      success: true as const,
      models: [name],
      ...codeProjectFields(c, "list", name, started),
    });
  };
  app.get("/v1/vision/custom/list", list);
  app.post("/v1/vision/custom/list", bodyLimit({ maxBytes: LIST_BODY_LIMIT }), list);

  const detect = async (c: Context) => {
    const started = performance.now();
    const form = await readCompatForm(c, { required: true });
    // DeepStack's order: the key, then the image, then min_confidence.
    checkFormKey(c, keys, form, onBadKey);
    const parsed = DeepStackForm.safeParse({
      image: form.get("image") ?? undefined,
      min_confidence: form.get("min_confidence") ?? undefined,
    });
    if (!parsed.success) {
      const imageIssue = parsed.error.issues.find((i) => i.path[0] === "image");
      if (imageIssue) throw new AppError("missing_field", DEEPSTACK_ERRORS.noImage);
      throw new AppError("invalid_parameter", parsed.error.issues[0].message);
    }
    const { image, min_confidence } = parsed.data;
    if (image.size === 0) throw new AppError("empty_input", "the image file is empty (0 bytes)");
    const bytes = new Uint8Array(await image.arrayBuffer());
    const result = await inference.detect(bytes, {
      conf: min_confidence ?? DEEPSTACK_MIN_CONFIDENCE,
      maxDetections: MAX_PREDICTIONS,
      signal: c.req.raw.signal,
    });
    c.header("Server-Timing", serverTiming(result.timings));
    c.header("Cache-Control", "no-store");
    return c.json({ ...toDeepStack(result), ...codeProjectFields(c, "detect", name, started) });
  };
  app.post("/v1/vision/detection", detect);
  app.post("/v1/vision/custom/:model", (c) => {
    const model = c.req.param("model");
    if (model !== inference.info.name) {
      throw new AppError(
        "not_found",
        `No custom model ${JSON.stringify(model)}: this server runs ${inference.info.name} ` +
          "(POST /v1/vision/custom/list lists it)",
      );
    }
    return detect(c);
  });

  // Double Take and others probe the face API: say plainly that it is not here.
  app.all("/v1/vision/face/*", (c) => {
    throw new AppError(
      "not_found",
      `Face recognition is not offered by this server (${c.req.method} ` +
        `${new URL(c.req.url).pathname}): it detects objects only, at POST /v1/vision/detection`,
    );
  });
  app.all("/v1/vision/face", () => {
    throw new AppError("not_found", "Face recognition is not offered by this server");
  });
  // Every other /v1 path answers in DeepStack's shape too, which DeepStack clients can read.
  app.all("/v1/*", (c) => {
    throw new AppError(
      "not_found",
      `No route for ${c.req.method} ${new URL(c.req.url).pathname} (this server offers ` +
        `POST /v1/vision/detection, POST /v1/vision/custom/${name} and /v1/vision/custom/list)`,
    );
  });

  return app;
}

/** The detector's result as DeepStack predictions plus CodeProject.AI's extra fields. */
export function toDeepStack(
  unrounded: DetectResult,
): Omit<DeepStackResponse, keyof CodeProjectFields> {
  const result = roundResult(unrounded);
  const predictions = result.detections.slice(0, MAX_PREDICTIONS).map((d) => ({
    label: d.label,
    confidence: d.score,
    // DeepStack and CodeProject.AI both write int(x): truncation toward zero.
    x_min: Math.trunc(d.box.x1),
    y_min: Math.trunc(d.box.y1),
    x_max: Math.trunc(d.box.x2),
    y_max: Math.trunc(d.box.y2),
  }));
  const labels = predictions.map((p) => p.label);
  const message = labels.length === 0
    ? "No objects found"
    : `Found ${labels.slice(0, 3).join(", ")}${labels.length > 3 ? "..." : ""}`;
  const t = result.timings;
  return {
    success: true,
    predictions,
    duration: 0,
    message,
    count: predictions.length,
    inferenceMs: Math.trunc(t.infer),
    processMs: Math.trunc(t.decode + t.preprocess + t.infer + t.postprocess),
  };
}

/**
 * The request's multipart form. Anything else (a raw body, JSON, a broken multipart) is, as
 * for DeepStack, a request without an image: 400 "No valid image file found". When the form
 * is optional, a request without a body gives an empty form.
 */
async function readCompatForm(c: Context, options: { required: boolean }): Promise<FormData> {
  const form = await readForm(c.req.raw, {
    malformed: (cause) => new AppError("missing_field", DEEPSTACK_ERRORS.noImage, { cause }),
  });
  if (form) return form;
  if (!options.required) return new FormData();
  throw new AppError("unsupported_media_type", DEEPSTACK_ERRORS.noImage);
}

/**
 * With keys configured, a request that did not prove one in the Authorization header (checked
 * before the body, by the app's middleware) must send it in the `api_key` form field.
 */
function checkFormKey(
  c: Context,
  keys: KeyRing,
  form: FormData,
  onBadKey?: (c: Context) => void,
): void {
  if (keys.size === 0 || apiKeyId(c) !== undefined) return;
  const value = form.get("api_key");
  const index = keys.match(typeof value === "string" ? value : undefined);
  if (index < 0) {
    onBadKey?.(c);
    throw new AppError("unauthorized", DEEPSTACK_ERRORS.badKey);
  }
  setApiKeyId(c, index);
}
