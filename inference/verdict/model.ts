/** The verdict model file (models/verdict.json): its schema, loading and checks. */
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { FeatureSpec } from "./features.ts";
import type { Head } from "./head.ts";

export const VERDICT_FORMAT = "nothotdog-verdict/2";

/** The cascade's second stage: the fused head on the detector's and the classifier's features. */
export interface SecondOpinionModel {
  /** The classifier it reads: file name and digest, and its pooled width. */
  classifier: { name: string; sha256: string; channels: number };
  /** The fused vector's length: the detector's features, then the classifier's. */
  length: number;
  /** Trained so that 0.5 is its operating point, like `head`. */
  head: Head;
  /**
   * With VERDICT_SECOND_OPINION=auto the classifier runs when the detector head's score is in
   * [low, high]: the narrowest band that kept the cascade's out-of-fold verdicts as good as
   * always asking.
   */
  band: { low: number; high: number };
}

export interface VerdictModel {
  format: typeof VERDICT_FORMAT;
  /**
   * The detector the head reads: its class count, the input size the threshold was chosen at,
   * and every size the head was trained on (it holds up between them, not far outside).
   */
  detector: {
    name: string;
    classes: number;
    inputWidth: number;
    inputHeight: number;
    trainedSizes: { width: number; height: number }[];
  };
  features: FeatureSpec & { length: number };
  /** Trained so that a score of 0.5 is the operating point chosen by cross-validation. */
  head: Head;
  /**
   * The head judges only photos whose foodScore reaches `foodFloor`: the level 99% of the
   * training hot dogs reach. Below it COCO's class decides.
   */
  gate: { foodFloor: number };
  /** The second opinion (null: the head alone decides, as without a classifier). */
  secondOpinion: SecondOpinionModel | null;
  /** Held-out numbers and the threshold sweep, for the docs and `deno task eval`. */
  metrics: Record<string, unknown>;
  /** How to reproduce the file: command, data, photo licences. */
  provenance: Record<string, unknown>;
}

const finite = z.number().finite();
const HeadSchema = z.object({
  kind: z.literal("logistic"),
  mean: z.array(finite),
  scale: z.array(finite.positive()),
  weights: z.array(finite),
  bias: finite,
});
const Schema = z.object({
  format: z.literal(VERDICT_FORMAT),
  detector: z.object({
    name: z.string(),
    classes: z.number().int().min(1),
    inputWidth: z.number().int().min(32),
    inputHeight: z.number().int().min(32),
    trainedSizes: z.array(z.object({ width: z.number().int(), height: z.number().int() })),
  }),
  features: z.object({
    pooled: z.array(z.enum(["backbone", "sppf", "neck"])),
    pooling: z.enum(["picture", "global"]),
    scores: z.enum(["logClassMax", "none"]),
    length: z.number().int().min(1),
  }),
  head: HeadSchema,
  gate: z.object({ foodFloor: z.number().min(0).max(1) }),
  secondOpinion: z.object({
    classifier: z.object({
      name: z.string(),
      sha256: z.string(),
      channels: z.number().int().min(1),
    }),
    length: z.number().int().min(1),
    head: HeadSchema,
    band: z.object({ low: z.number().min(0).max(1), high: z.number().min(0).max(1) }),
  }).nullable(),
  metrics: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()),
});

/** Checks a parsed file: schema, then that every array fits the declared feature length. */
export function parseVerdictModel(json: unknown, source = "verdict model"): VerdictModel {
  const fail = (why: string) =>
    new AppError("model_invalid", `Cannot load verdict head ${source}: ${why}`);
  const r = Schema.safeParse(json);
  if (!r.success) {
    throw fail(r.error.issues.map((i) => `${i.path.join(".") || "file"}: ${i.message}`).join("; "));
  }
  const m = r.data as VerdictModel;
  const n = m.features.length;
  const h = m.head;
  const lengths: [string, number][] = [
    ["mean", h.mean.length],
    ["scale", h.scale.length],
    ["weights", h.weights.length],
  ];
  for (const [name, len] of lengths) {
    if (len !== n) throw fail(`head.${name} has ${len} values, features.length says ${n}`);
  }
  const so = m.secondOpinion;
  if (so) {
    for (
      const [name, len] of [["mean", so.head.mean], ["scale", so.head.scale], [
        "weights",
        so.head.weights,
      ]] as const
    ) {
      if (len.length !== so.length) {
        throw fail(
          `secondOpinion.head.${name} has ${len.length} values, its length says ${so.length}`,
        );
      }
    }
  }
  return m;
}

/** Reads and checks a verdict file; `none` (or an empty path) means no head. */
export async function loadVerdictModel(path: string): Promise<VerdictModel | null> {
  if (path === "" || path === "none") return null;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new AppError(
      "model_invalid",
      `Cannot load verdict head ${path}: ${(err as Error).message}; set VERDICT_HEAD=none to ` +
        "use COCO's hot dog class alone",
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError(
      "model_invalid",
      `Cannot load verdict head ${path}: not JSON (${(err as Error).message})`,
      { cause: err },
    );
  }
  return parseVerdictModel(json, path);
}

/**
 * The head if it was trained at this input size, else null: its features shift with the size
 * (a 320 head at 640 keeps specificity 0.29), so at other sizes COCO's class decides.
 */
export function headForSize(
  model: VerdictModel | null | undefined,
  size: { width: number; height: number },
): VerdictModel | null {
  if (!model) return null;
  const ok = model.detector.trainedSizes.some((s) =>
    s.width === size.width && s.height === size.height
  );
  return ok ? model : null;
}
