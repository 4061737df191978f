/** The verdict for one run: the learned head on food photos, else COCO's `hot dog` class. */
import type { DetectOutput } from "../postprocess.ts";
import type { Verdict } from "../types.ts";
import type { ClassifierRun } from "../classifier.ts";
import {
  classifierVector,
  type FeatureSpec,
  featureVector,
  foodScore,
  fusedVector,
} from "./features.ts";
import { headScore } from "./head.ts";
import { IMAGENET_HOTDOG, lookalikeFood, softmax } from "./imagenet_food.ts";
import type { SecondOpinionModel, VerdictModel } from "./model.ts";
import type { ImageMapping } from "../postprocess.ts";
import { bestRegion } from "./region.ts";

/** What one run of the detector computed, as the verdict reads it. */
export interface RunOutputs {
  /**
   * The pooled feature vectors, in the prepared model's featureOutputs order: called only when
   * the head will judge (or `features` asks), since pooling every map costs about 0.2-0.4 ms a
   * frame and most camera frames show no food.
   */
  pooled: () => readonly ArrayLike<number>[];
  classMax: Float32Array;
  classBest: Float32Array;
  /** YOLO's detect outputs (not the verdict head), for the hot-dog region. */
  detectOutputs: readonly DetectOutput[];
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
  /**
   * Build the feature vector with this spec whatever the gate says, even without a head
   * (training, analysis). Otherwise it is built only for a photo the head judges.
   */
  features?: FeatureSpec;
  /**
   * When to ask the classifier: `auto` when the head's score is in the model's band, `always`
   * whenever the head judges, `never` (default: never; no classifier: never).
   */
  secondOpinion?: SecondOpinionMode;
}

export type SecondOpinionMode = "auto" | "always" | "never";

export interface Judgement {
  hotdog: boolean;
  hotdogScore: number;
  verdict: Verdict;
  /** The head's input vector, when the head judged or `features` asked for it. */
  features: Float64Array | null;
  /** True when the classifier should run and `secondOpinion()` decide. */
  wantsSecondOpinion: boolean;
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

/** Pure: whether a head score in this mode asks for the classifier. */
export function asksSecondOpinion(
  model: Pick<SecondOpinionModel, "band"> | null | undefined,
  detectorScore: number,
  mode: SecondOpinionMode,
): boolean {
  if (!model || mode === "never") return false;
  if (mode === "always") return true;
  return detectorScore >= model.band.low && detectorScore <= model.band.high;
}

/**
 * Pure: the cascade's score for training and evaluation, with the fused vector at hand: the
 * gate, then the detector head, then the fused head when the head's score asks for it.
 */
export function cascadeScore(
  model: Pick<VerdictModel, "head" | "gate"> & {
    secondOpinion?: Pick<SecondOpinionModel, "head" | "band"> | null;
  },
  run: {
    features: ArrayLike<number>;
    fused: ArrayLike<number> | null;
    classScore: number;
    foodScore: number;
  },
  mode: SecondOpinionMode,
): { score: number; source: Verdict["source"] } {
  const first = verdictScore(model, run);
  const so = model.secondOpinion;
  if (first.source === "head" && run.fused && asksSecondOpinion(so, first.score, mode)) {
    return { score: headScore(so!.head, run.fused), source: "second-opinion" };
  }
  return first;
}

/** Pure: scores the run and says what decided, and whether the classifier should be asked. */
export function judge(run: RunOutputs, options: JudgeOptions): Judgement {
  const { model, threshold, hotdogClass } = options;
  const classScore = hotdogClass >= 0 ? run.classBest[hotdogClass] : 0;
  const food = foodScore(run.classMax, options.foodClasses);
  const wanted = options.features !== undefined || (model !== null && food >= model.gate.foodFloor);
  const spec = wanted ? model?.features ?? options.features : undefined;
  const features = spec ? featureVector(run.pooled(), run.classMax, spec) : null;
  const { score: hotdogScore, source } = verdictScore(model, {
    features,
    classScore,
    foodScore: food,
  });
  const region = hotdogClass >= 0
    ? bestRegion(run.detectOutputs, hotdogClass, {
      ...run.mapping,
      numClasses: run.classMax.length,
    })
    : null;
  return {
    hotdog: hotdogScore >= threshold,
    hotdogScore,
    verdict: { source, threshold, classScore, foodScore: food, region, secondOpinion: null },
    features,
    wantsSecondOpinion: source === "head" &&
      asksSecondOpinion(model?.secondOpinion, hotdogScore, options.secondOpinion ?? "never"),
  };
}

/** Pure: the fused head's verdict once the classifier has run; the evidence joins the verdict. */
export function secondOpinion(
  first: Judgement,
  classifier: ClassifierRun,
  model: Pick<SecondOpinionModel, "head">,
): Judgement {
  const fused = fusedVector(first.features!, classifierVector(classifier));
  const score = headScore(model.head, fused);
  const probs = softmax(classifier.logits);
  return {
    ...first,
    hotdog: score >= first.verdict.threshold,
    hotdogScore: score,
    verdict: {
      ...first.verdict,
      source: "second-opinion",
      secondOpinion: {
        score,
        detectorScore: first.hotdogScore,
        imagenetHotdog: probs[IMAGENET_HOTDOG],
        looksLike: lookalikeFood(probs),
      },
    },
    wantsSecondOpinion: false,
  };
}
