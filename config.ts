/** Service configuration: every environment variable, parsed once with zod into a frozen object. */
import { z } from "zod";

/** `320` or `320x256` (width x height): the model input size, multiples of 32. */
export function parseInputSize(text: string): { width: number; height: number } {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m) {
    throw new Error(
      `Cannot parse input size ${JSON.stringify(text)}: use N or WxH, e.g. 320 or 320x256`,
    );
  }
  const width = Number(m[1]);
  const height = Number(m[2] ?? m[1]);
  for (const v of [width, height]) {
    if (v < 32 || v > 4096 || v % 32 !== 0) {
      throw new Error(
        `Cannot use input size ${text}: each side must be a multiple of 32 from 32 to 4096`,
      );
    }
  }
  return { width, height };
}

const inputSize = z.string().transform((s, ctx) => {
  try {
    return parseInputSize(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});
const unit = z.coerce.number().min(0).max(1);
// Environment flags: 1/true/yes/on and 0/false/no/off, case-insensitive.
const bool = z.string().trim().toLowerCase().transform((s, ctx) => {
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off", ""].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: `expected true or false, got ${JSON.stringify(s)}` });
  return z.NEVER;
});
// Comma-separated lists; blanks around items and empty items are ignored, so "" means none.
const list = (item: z.ZodString) =>
  z.string().transform((s) => s.split(",").map((v) => v.trim()).filter((v) => v !== ""))
    .pipe(z.array(item));
// Browsers send the Origin header as scheme://host[:port]; anything else could never match.
const origin = z.string().refine((o) => {
  if (o === "*") return true;
  try {
    return new URL(o).origin === o;
  } catch {
    return false;
  }
}, { message: "expected * or origins like https://example.com (scheme, host, optional port)" });
// Keys travel in a header and a form field: visible ASCII only, no spaces.
const apiKey = z.string().regex(/^[\x21-\x7e]+$/, {
  message: "API keys must be visible ASCII characters without spaces",
});

export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().default("0.0.0.0"),
  MODEL_PATH: z.string().default("models/yolov5n.onnx"),
  INPUT_SIZE: inputSize.default({ width: 320, height: 320 }),
  /** `auto`: each image runs at the smallest multiple-of-32 rectangle within INPUT_SIZE. */
  LETTERBOX: z.enum(["auto", "square"]).default("auto"),
  CONF_THRESHOLD: unit.default(0.25),
  IOU_THRESHOLD: unit.default(0.45),
  MAX_DETECTIONS: z.coerce.number().int().min(1).max(1000).default(300),
  /**
   * hotdogScore at or above this says "hotdog"; 0.5 is each verdict source's own operating point,
   * chosen by cross-validation for specificity 0.95. The cascade (models/verdict.json), held out
   * on the dev sets: 0.5 gives recall 0.88 at specificity 0.948; 0.3 gives 0.91 / 0.93; 0.7 gives
   * 0.83 / 0.97 (models/VERDICT.md has the sweep). COCO's class alone (VERDICT_HEAD=none, or no
   * food in view) is rescaled so 0.5 is its score 0.25: recall 0.57, specificity 0.93 at 320.
   */
  HOTDOG_THRESHOLD: unit.default(0.5),
  /** The learned verdict head (`deno task train-verdict`); `none`: COCO's `hot dog` class alone. */
  VERDICT_HEAD: z.string().default("models/verdict.json"),
  /** The ImageNet classifier the head's second opinion reads; `none`: the head alone decides. */
  CLASSIFIER_PATH: z.string().default("models/mobilenetv2-12-int8.onnx"),
  /** When the classifier runs: `auto` when the head is unsure (its band), `always`, `never`. */
  VERDICT_SECOND_OPINION: z.enum(["auto", "always", "never"]).default("auto"),
  MAX_PIXELS: z.coerce.number().int().min(1).default(16_800_000),
  MAX_SIDE: z.coerce.number().int().min(1).max(65535).default(8192),
  INFERENCE_MODE: z.enum(["auto", "workers", "inline"]).default("auto"),
  WORKERS: z.coerce.number().int().min(1).max(64).default(
    Math.max(1, navigator.hardwareConcurrency || 1),
  ),
  WORKER_THREADS: z.coerce.number().int().min(1).max(16).default(1),
  JOB_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  QUEUE_MAX: z.coerce.number().int().min(0).default(8),
  QUEUE_TARGET_MS: z.coerce.number().min(1).default(100),
  QUEUE_INTERVAL_MS: z.coerce.number().min(1).default(1000),
  RATE_LIMIT_RATE: z.coerce.number().positive().default(10),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(20),
  TRUST_PROXY: bool.default(false),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  /**
   * Bytes all uploads being received or waiting may hold together (each counted at its declared
   * size, MAX_BODY_BYTES when it declares none); one client may hold a quarter of it, at least
   * one MAX_BODY_BYTES. Past it: 503 with Retry-After, before the body is read.
   */
  BODY_BUDGET_BYTES: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
  /** An upload that sends nothing for this long is answered 408 and its connection closed. */
  BODY_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** An upload not complete this long after its headers arrived is answered 408. */
  BODY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  LOG_REQUESTS: bool.default(true),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Origins allowed to call the APIs from a browser (CORS); empty: CORS off. */
  CORS_ORIGINS: list(origin).default([]),
  /** When set, the APIs require one of these keys; empty: the APIs are open. */
  API_KEYS: list(apiKey).default([]),
  /** PEM files: with both set, the service speaks HTTPS itself (phones need it for the camera). */
  TLS_CERT: z.string().default(""),
  TLS_KEY: z.string().default(""),
}).refine((c) => (c.TLS_CERT === "") === (c.TLS_KEY === ""), {
  message: "set both TLS_CERT and TLS_KEY (PEM files), or neither",
  path: ["TLS_CERT"],
});

export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** The defaults, for tools (CLI, bench) that take flags instead of environment variables. */
export const DEFAULTS: Config = Object.freeze(ConfigSchema.parse({}));

/**
 * The asset files this configuration serves with, for `deno task start` to fetch: the detector
 * model, and the verdict's classifier unless it is switched off (a model that is not in
 * models/assets.tsv is the user's own and is skipped there).
 */
export function servedAssetPaths(config: Config): string[] {
  const classifierOn = config.VERDICT_SECOND_OPINION !== "never" &&
    config.CLASSIFIER_PATH !== "none" && config.CLASSIFIER_PATH !== "";
  return classifierOn ? [config.MODEL_PATH, config.CLASSIFIER_PATH] : [config.MODEL_PATH];
}

/** Parses an environment (e.g. `Deno.env.toObject()`); throws one message listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => {
      const name = i.path.join(".");
      const given = env[name];
      return `${name}: ${i.message}${given === undefined ? "" : ` (got ${JSON.stringify(given)})`}`;
    });
    throw new Error(`Cannot start: bad configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(result.data);
}
