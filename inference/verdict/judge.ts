/** The verdict for one run: the learned head on food photos, else COCO's `hot dog` class. */
import type { HeadTensor } from "../postprocess.ts";
import type { Verdict } from "../types.ts";
import { type FeatureSpec, featureVector, foodScore } from "./features.ts";
import { headScore } from "./head.ts";
import type { VerdictModel } from "./model.ts";
import type { ImageMapping } from "../postprocess.ts";
import { bestRegion } from "./region.ts";

/** What one run of the detector computed, as the verdict reads it. */
export interface RunOutputs {
  /** The pooled feature outputs, in the prepared model's featureOutputs order. */
  pooled: readonly ArrayLike<number>[];
  classMax: Float32Array;
  classBest: Float32Array;
  heads: readonly HeadTensor[];
  mapping: ImageMapping;
}

export interface JudgeOptions {
  /** The learned head, or null for COCO's class alone (rescaled: see classVerdictScore). */
  model: VerdictModel | null;
  /** hotdogScore at or above this says "hotdog". */
  threshold: number;
  /** COCO's `hot dog` class id (-1 if the model has none). */
  hotdogClass: number;
  /** COCO's food class ids (see foodClassIds). */
  foodClasses: readonly number[];
  /** Build the feature vector even without a head (training), with this spec. */
  features?: FeatureSpec;
}

export interface Judgement {
  hotdog: boolean;
  hotdogScore: number;
  verdict: Verdict;
  /** The head's input vector, when a head or `features` asked for it. */
  features: Float64Array | null;
}

/** COCO's `hot dog` score that the class verdict has always called a hot dog at. */
export const CLASS_OPERATING_POINT = 0.25;

/**
 * Maps COCO's class score so its operating point lands on 0.5, as the head's does: one
 * HOTDOG_THRESHOLD default (0.5) then means "as measured" whichever source decides.
 * sigmoid(logit(c) - logit(0.25)) = 3c / (1 + 2c): 0 -> 0, 0.25 -> 0.5, 1 -> 1.
 */
export function classVerdictScore(classScore: number): number {
  const p = CLASS_OPERATING_POINT;
  const a = classScore * (1 - p);
  return a > 0 ? a / (a + p * (1 - classScore)) : 0;
}

/** The COCO class score a class-verdict score stands for: classVerdictScore's inverse. */
export function classScoreFor(verdictScore: number): number {
  const p = CLASS_OPERATING_POINT;
  const a = verdictScore * p;
  return a > 0 ? a / (a + (1 - verdictScore) * (1 - p)) : 0;
}

/**
 * Pure: the verdict score from what the run measured. The head judges only when COCO sees some
 * food (foodScore at its gate's floor): trained on food photos alone, it extrapolates wildly on
 * others (a grey wall scored 0.999). Elsewhere COCO's class decides.
 */
export function verdictScore(
  model: Pick<VerdictModel, "head" | "gate"> | null,
  run: { features: ArrayLike<number> | null; classScore: number; foodScore: number },
): { score: number; source: "head" | "class" } {
  if (model && run.features && run.foodScore >= model.gate.foodFloor) {
    return { score: headScore(model.head, run.features), source: "head" };
  }
  return { score: classVerdictScore(run.classScore), source: "class" };
}

/** Pure: scores the run and says what decided. */
export function judge(run: RunOutputs, options: JudgeOptions): Judgement {
  const { model, threshold, hotdogClass } = options;
  const classScore = hotdogClass >= 0 ? run.classBest[hotdogClass] : 0;
  const food = foodScore(run.classMax, options.foodClasses);
  const spec = model?.features ?? options.features;
  const features = spec ? featureVector(run.pooled, run.classMax, spec) : null;
  const { score: hotdogScore, source } = verdictScore(model, {
    features,
    classScore,
    foodScore: food,
  });
  const region = hotdogClass >= 0
    ? bestRegion(run.heads, hotdogClass, { ...run.mapping, numClasses: run.classMax.length })
    : null;
  return {
    hotdog: hotdogScore >= threshold,
    hotdogScore,
    verdict: { source, threshold, classScore, foodScore: food, region },
    features,
  };
}
