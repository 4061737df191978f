/** Picks, fits and honestly scores a logistic verdict head: nested, stratified cross-validation. */
import { stratifiedFolds } from "./folds.ts";
import type { LogisticHead } from "./head.ts";
import { verdictScore } from "./judge.ts";
import { fitLogistic } from "./logistic.ts";
import { rocAuc, type Scored, thresholdForSpecificity } from "./metrics.ts";

/**
 * Photos with their truth and stratum, in a fixed order. Each photo has one feature vector per
 * view (e.g. per model input size): training uses every view; thresholds and scores use
 * `views[i][0]`, the view the service runs.
 */
export interface Dataset {
  views: readonly (readonly Float64Array[])[];
  labels: readonly boolean[];
  /** Folds keep each stratum's share, e.g. `seefood-train/true`. */
  strata: readonly string[];
  /** Per photo, at the first view: COCO's hot dog score and food evidence (for the gate). */
  classScores: readonly number[];
  foodScores: readonly number[];
}

export interface TrainOptions {
  /** L2 penalties to choose from by cross-validated AUC (default 0.03, 0.1, 0.3). */
  l2Grid?: readonly number[];
  /** Folds for choosing the penalty and the threshold (default 5). */
  folds?: number;
  /** Seed for the folds (default 1). */
  seed?: number;
  /** The operating point: the specificity the out-of-fold scores must keep (default 0.95). */
  targetSpecificity?: number;
}

export interface TrainedHead {
  /** Bias shifted so that a score of 0.5 is the chosen operating point. */
  head: LogisticHead;
  /** The head judges photos whose food evidence reaches this; COCO's class judges the rest. */
  gate: { foodFloor: number };
  l2: number;
  /** The threshold on the unshifted scores that the operating point corresponds to. */
  rawThreshold: number;
  /** Cross-validated AUC per penalty tried. */
  aucByL2: { l2: number; auc: number }[];
}

export const DEFAULT_L2_GRID = [0.03, 0.1, 0.3] as const;

/** The share of training hot dogs the food gate lets through to the head. */
export const FOOD_KEEP = 0.99;

/** The food evidence that FOOD_KEEP of the hot dogs reach: the gate's floor. */
export function foodFloor(data: Dataset): number {
  const food = data.foodScores.filter((_, i) => data.labels[i]).sort((a, b) => a - b);
  return food.length === 0 ? 0 : food[Math.floor(food.length * (1 - FOOD_KEEP))];
}

/**
 * Chooses the penalty by k-fold AUC, the threshold from the out-of-fold scores at the target
 * specificity, then fits on every row. Never looks at data outside `data`.
 */
export function trainHead(data: Dataset, options: TrainOptions = {}): TrainedHead {
  const grid = options.l2Grid ?? DEFAULT_L2_GRID;
  const k = options.folds ?? 5;
  const fold = stratifiedFolds(data.strata, { k, seed: options.seed ?? 1 });
  const gate = { foodFloor: foodFloor(data) };
  let best: { l2: number; auc: number; oof: number[] } | null = null;
  const aucByL2: { l2: number; auc: number }[] = [];
  for (const l2 of grid) {
    const oof = outOfFold(data, fold, { k, l2, gate });
    const auc = rocAuc(oof.map((score, i) => ({ score, hotdog: data.labels[i] })));
    aucByL2.push({ l2, auc });
    // Ties go to the stronger penalty: simpler models generalise better.
    if (!best || auc > best.auc || (auc === best.auc && l2 > best.l2)) best = { l2, auc, oof };
  }
  const scored: Scored[] = best!.oof.map((score, i) => ({ score, hotdog: data.labels[i] }));
  const rawThreshold = thresholdForSpecificity(scored, options.targetSpecificity ?? 0.95);
  const { head } = fitLogistic(...allViews(data), { l2: best!.l2 });
  return { head: shiftToHalf(head, rawThreshold), gate, l2: best!.l2, rawThreshold, aucByL2 };
}

/** Moves the bias so `threshold` maps to 0.5: the default HOTDOG_THRESHOLD means "as trained". */
export function shiftToHalf(head: LogisticHead, threshold: number): LogisticHead {
  const t = Math.min(Math.max(threshold, 1e-9), 1 - 1e-9);
  return { ...head, bias: head.bias - Math.log(t / (1 - t)) };
}

export interface CrossValidation {
  /** Held-out scores, [view][photo]: each from a head that never saw that photo. */
  scores: number[][];
  /** What each outer fold's inner selection chose. */
  folds: { l2: number; rawThreshold: number; foodFloor: number }[];
}

/**
 * Outer k-fold: every photo is scored by a head trained (with its own inner selection of the
 * penalty and threshold) on the other folds, so the scores are honest held-out scores.
 */
export function crossValidate(
  data: Dataset,
  options: TrainOptions & { outerFolds?: number; outerSeed?: number } = {},
): CrossValidation {
  const k = options.outerFolds ?? 10;
  const fold = stratifiedFolds(data.strata, { k, seed: options.outerSeed ?? 1 });
  const scores = data.views[0].map(() => new Array<number>(data.views.length));
  const folds: CrossValidation["folds"] = [];
  for (let f = 0; f < k; f++) {
    const t = trainHead(subset(data, (i) => fold[i] !== f), options);
    folds.push({ l2: t.l2, rawThreshold: t.rawThreshold, foodFloor: t.gate.foodFloor });
    data.views.forEach((views, i) => {
      if (fold[i] === f) views.forEach((x, v) => (scores[v][i] = gatedScore(t, data, i, x)));
    });
  }
  return { scores, folds };
}

/** Trains on the photos `train` selects and scores the others' first view. */
export function trainAndScore(
  data: Dataset,
  train: (i: number) => boolean,
  options: TrainOptions = {},
): { scores: Map<number, number>; trained: TrainedHead } {
  const trained = trainHead(subset(data, train), options);
  const scores = new Map<number, number>();
  data.views.forEach((views, i) => {
    if (!train(i)) scores.set(i, gatedScore(trained, data, i, views[0]));
  });
  return { scores, trained };
}

/** A photo's score as the service would give it: the head behind its food gate. */
function gatedScore(
  trained: Pick<TrainedHead, "head" | "gate">,
  data: Dataset,
  i: number,
  features: Float64Array,
): number {
  return verdictScore(trained, {
    features,
    classScore: data.classScores[i],
    foodScore: data.foodScores[i],
  }).score;
}

/** Out-of-fold first-view scores of heads trained on every view of the other folds. */
function outOfFold(
  data: Dataset,
  fold: number[],
  options: { k: number; l2: number; gate: { foodFloor: number } },
): number[] {
  const oof = new Array<number>(data.views.length);
  for (let f = 0; f < options.k; f++) {
    const train = subset(data, (i) => fold[i] !== f);
    const { head } = fitLogistic(...allViews(train), { l2: options.l2 });
    data.views.forEach((views, i) => {
      if (fold[i] === f) oof[i] = gatedScore({ head, gate: options.gate }, data, i, views[0]);
    });
  }
  return oof;
}

/** Every view as a training row, with its photo's label. */
function allViews(data: Dataset): [Float64Array[], boolean[]] {
  const rows: Float64Array[] = [];
  const labels: boolean[] = [];
  data.views.forEach((views, i) => {
    for (const x of views) {
      rows.push(x);
      labels.push(data.labels[i]);
    }
  });
  return [rows, labels];
}

function subset(data: Dataset, keep: (i: number) => boolean): Dataset {
  const idx = data.views.map((_, i) => i).filter(keep);
  return {
    views: idx.map((i) => data.views[i]),
    labels: idx.map((i) => data.labels[i]),
    strata: idx.map((i) => data.strata[i]),
    classScores: idx.map((i) => data.classScores[i]),
    foodScores: idx.map((i) => data.foodScores[i]),
  };
}
