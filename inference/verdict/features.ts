/** The verdict head's input: pooled detector activations plus COCO's per-class maxima. */
import type { FeatureSet, PrepareOptions } from "../model_prepare.ts";

/** Which of the detector's own outputs make up the vector, in order. */
export interface FeatureSpec {
  /** Average-pooled activations, found by their place in the graph (see model_prepare). */
  pooled: readonly FeatureSet[];
  /** `logClassMax`: then log(max(classMax, 1e-4)) per class; `none`: no class scores. */
  scores: "logClassMax" | "none";
}

/** What the shipped head reads: every stage the run computes anyway, 1,232 values for YOLOv5n. */
export const DEFAULT_FEATURES: FeatureSpec = Object.freeze({
  pooled: Object.freeze(["backbone", "sppf", "neck"] as const),
  scores: "logClassMax",
});

// Class scores span orders of magnitude; below this they carry no signal, only noise.
const SCORE_FLOOR = 1e-4;

/** The extra graph outputs the spec needs: one GlobalAveragePool per tensor. */
export function prepareOptionsFor(spec: FeatureSpec): PrepareOptions {
  return { features: spec.pooled, pooling: ["avg"] };
}

/**
 * Pure: the feature vector from the pooled outputs (in the prepared model's featureOutputs
 * order) and postprocess's classMax.
 */
export function featureVector(
  pooled: readonly ArrayLike<number>[],
  classMax: ArrayLike<number>,
  spec: FeatureSpec,
): Float64Array {
  let length = 0;
  for (const p of pooled) length += p.length;
  const scores = spec.scores === "logClassMax" ? classMax.length : 0;
  const out = new Float64Array(length + scores);
  let o = 0;
  for (const p of pooled) {
    for (let j = 0; j < p.length; j++) out[o++] = p[j];
  }
  for (let c = 0; c < scores; c++) out[o++] = Math.log(Math.max(classMax[c], SCORE_FLOOR));
  return out;
}

/** COCO's food classes. The head only judges photos where the detector sees some food. */
export const FOOD_LABELS = [
  "banana",
  "apple",
  "sandwich",
  "orange",
  "broccoli",
  "carrot",
  "hot dog",
  "pizza",
  "donut",
  "cake",
] as const;

/** The ids of the food classes this detector has. */
export function foodClassIds(classNames: readonly string[]): number[] {
  return FOOD_LABELS.map((l) => classNames.indexOf(l)).filter((i) => i >= 0);
}

/** Pure: COCO's strongest food evidence, the highest classMax among the food classes (0-1). */
export function foodScore(classMax: ArrayLike<number>, foodClasses: readonly number[]): number {
  let best = 0;
  for (const c of foodClasses) if (classMax[c] > best) best = classMax[c];
  return best;
}
