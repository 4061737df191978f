/** Picks, fits and honestly scores the verdict's heads and band: nested, stratified cross-validation. */
import { fusedVector } from "../../inference/verdict/features.ts";
import { stratifiedFolds } from "./folds.ts";
import type { LogisticHead } from "../../inference/verdict/head.ts";
import {
  cascadeScore,
  type SecondOpinionMode,
  verdictScore,
} from "../../inference/verdict/judge.ts";
import { fitLogistic } from "./logistic.ts";
import { confusion, rocAuc, type Scored, thresholdForSpecificity } from "./metrics.ts";

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
  /**
   * Per photo: the classifier's vector (classifierVector), for the second opinion; each view's
   * fused vector is that view's features followed by it. Absent: no second opinion.
   */
  classifier?: readonly Float64Array[];
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
  /** The fused head and its band, when the data has classifier vectors. */
  second: TrainedSecond | null;
}

export interface TrainedSecond {
  /** Shifted so 0.5 is its operating point, like the detector head. */
  head: LogisticHead;
  l2: number;
  rawThreshold: number;
  aucByL2: { l2: number; auc: number }[];
  /** Ask when the detector head's score is in [low, high] (auto). */
  band: { low: number; high: number };
  /**
   * The cascade's threshold for the target specificity on the out-of-fold scores (fused head
   * shifted to rawThreshold); `head` is shifted once more so it reads 0.5.
   */
  cascadeThreshold: number;
  /** The share of the head-judged out-of-fold photos the band sent to the classifier. */
  bandShare: number;
}

export const DEFAULT_L2_GRID = [0.03, 0.1, 0.3] as const;

/**
 * Band half-widths tried, in logits around the operating point (0.5), narrowest first; the
 * last asks always. The band kept is the narrowest whose out-of-fold recall at the target
 * specificity is within BAND_TOLERANCE of always asking.
 */
export const BAND_WIDTHS = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, Infinity] as const;
export const BAND_TOLERANCE = 0.01;

/** The share of training hot dogs the food gate lets through to the head. */
export const FOOD_KEEP = 0.99;

/** The food evidence that FOOD_KEEP of the hot dogs reach: the gate's floor. */
export function foodFloor(data: Dataset): number {
  const food = data.foodScores.filter((_, i) => data.labels[i]).sort((a, b) => a - b);
  return food.length === 0 ? 0 : food[Math.floor(food.length * (1 - FOOD_KEEP))];
}

/**
 * Selects and fits the detector head and, with classifier vectors, the fused head, each by
 * k-fold (penalty by AUC, threshold at the target specificity on out-of-fold scores), then the
 * band from both heads' out-of-fold scores. Never looks at data outside `data`.
 */
export function trainHead(data: Dataset, options: TrainOptions = {}): TrainedHead {
  const k = options.folds ?? 5;
  const fold = stratifiedFolds(data.strata, { k, seed: options.seed ?? 1 });
  const gate = { foodFloor: foodFloor(data) };
  const first = selectHead(data, detectorRows, fold, { ...options, k, gate });
  const trained = {
    head: first.head,
    gate,
    l2: first.l2,
    rawThreshold: first.rawThreshold,
    aucByL2: first.aucByL2,
  };
  if (!data.classifier) return { ...trained, second: null };
  const fused = selectHead(data, fusedRows, fold, { ...options, k, gate });
  const target = options.targetSpecificity ?? 0.95;
  const { band, share, threshold } = chooseBand(data, gate, first, fused, target);
  return {
    ...trained,
    second: {
      // Where the fused head decides, the cascade's own operating point sits at 0.5.
      head: shiftToHalf(fused.head, threshold),
      cascadeThreshold: threshold,
      l2: fused.l2,
      rawThreshold: fused.rawThreshold,
      aucByL2: fused.aucByL2,
      band,
      bandShare: share,
    },
  };
}

/** A photo's training rows: one per view. */
type Rows = (data: Dataset, i: number) => readonly Float64Array[];
const detectorRows: Rows = (data, i) => data.views[i];
const fusedRows: Rows = (data, i) => data.views[i].map((x) => fusedVector(x, data.classifier![i]));

interface Selected {
  head: LogisticHead;
  l2: number;
  rawThreshold: number;
  aucByL2: { l2: number; auc: number }[];
  /** The chosen penalty's k-fold first-view scores, unshifted. */
  oof: number[];
}

/**
 * Chooses the penalty by k-fold AUC, the threshold from the out-of-fold scores at the target
 * specificity, then fits on every row and shifts the bias so 0.5 is that threshold.
 */
function selectHead(
  data: Dataset,
  rows: Rows,
  fold: number[],
  options: TrainOptions & { k: number; gate: { foodFloor: number } },
): Selected {
  const grid = options.l2Grid ?? DEFAULT_L2_GRID;
  let best: { l2: number; auc: number; oof: number[] } | null = null;
  const aucByL2: { l2: number; auc: number }[] = [];
  for (const l2 of grid) {
    const oof = outOfFold(data, rows, fold, { k: options.k, l2, gate: options.gate });
    const auc = rocAuc(oof.map((score, i) => ({ score, hotdog: data.labels[i] })));
    aucByL2.push({ l2, auc });
    // Ties go to the stronger penalty: simpler models generalise better.
    if (!best || auc > best.auc || (auc === best.auc && l2 > best.l2)) best = { l2, auc, oof };
  }
  const { l2, oof } = best!;
  const scored: Scored[] = oof.map((score, i) => ({ score, hotdog: data.labels[i] }));
  const rawThreshold = thresholdForSpecificity(scored, options.targetSpecificity ?? 0.95);
  const { head } = fitLogistic(...allRows(data, rows), { l2 });
  return { head: shiftToHalf(head, rawThreshold), l2, rawThreshold, aucByL2, oof };
}

/**
 * The narrowest band around the detector head's operating point whose cascade, on both heads'
 * out-of-fold scores, keeps the recall of always asking (within BAND_TOLERANCE) at the target
 * specificity; then the threshold that gives the cascade that specificity, so the fused head
 * (which decides inside the band) can be shifted to put it at 0.5.
 */
function chooseBand(
  data: Dataset,
  gate: { foodFloor: number },
  first: Selected,
  fused: Selected,
  target: number,
): { band: { low: number; high: number }; share: number; threshold: number } {
  const gated = data.labels.map((_, i) => data.foodScores[i] >= gate.foodFloor);
  // On the shifted scale, as the service sees them (COCO's class scores are already there).
  const y = first.oof.map((s, i) => (gated[i] ? shiftScore(s, first.rawThreshold) : s));
  const f = fused.oof.map((s, i) => (gated[i] ? shiftScore(s, fused.rawThreshold) : s));
  const inBand = (i: number, b: { low: number; high: number }) =>
    gated[i] && y[i] >= b.low && y[i] <= b.high;
  const operate = (b: { low: number; high: number }) => {
    const scored = y.map((s, i) => ({ score: inBand(i, b) ? f[i] : s, hotdog: data.labels[i] }));
    const threshold = thresholdForSpecificity(scored, target);
    return { threshold, recall: confusion(scored, threshold).recall };
  };
  const bandOf = (w: number) =>
    w === Infinity ? { low: 0, high: 1 } : { low: sigmoid(-w), high: sigmoid(w) };
  const always = operate(bandOf(Infinity)).recall;
  const w = BAND_WIDTHS.find((w) => operate(bandOf(w)).recall >= always - BAND_TOLERANCE) ??
    Infinity;
  const band = bandOf(w);
  const judged = gated.filter(Boolean).length;
  const asked = y.filter((_, i) => inBand(i, band)).length;
  return { band, share: asked / Math.max(1, judged), threshold: operate(band).threshold };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));
const clamp = (p: number) => Math.min(Math.max(p, 1e-12), 1 - 1e-12);

/** A raw score on the shifted scale, where `threshold` reads 0.5. */
export function shiftScore(score: number, threshold: number): number {
  return sigmoid(logit(clamp(score)) - logit(clamp(threshold)));
}

/** Moves the bias so `threshold` maps to 0.5: the default HOTDOG_THRESHOLD means "as trained". */
export function shiftToHalf(head: LogisticHead, threshold: number): LogisticHead {
  const t = Math.min(Math.max(threshold, 1e-9), 1 - 1e-9);
  return { ...head, bias: head.bias - Math.log(t / (1 - t)) };
}

export interface CrossValidation {
  /** Held-out scores, [view][photo]: each from a head that never saw that photo (auto). */
  scores: number[][];
  /** Held-out first-view scores with the second opinion never, always, or auto asked. */
  modes: Record<SecondOpinionMode, number[]>;
  /** Per photo: whether its held-out cascade asked the classifier (auto). */
  asked: boolean[];
  /** Per photo: its outer fold. */
  fold: number[];
  /** What each outer fold's inner selection chose. */
  folds: {
    l2: number;
    rawThreshold: number;
    foodFloor: number;
    second?: { l2: number; rawThreshold: number; band: { low: number; high: number } };
  }[];
}

/**
 * Outer k-fold: every photo is scored by heads trained (with their own inner selection of the
 * penalties, thresholds and band) on the other folds, so the scores are honest held-out scores.
 */
export function crossValidate(
  data: Dataset,
  options: TrainOptions & { outerFolds?: number; outerSeed?: number } = {},
): CrossValidation {
  const k = options.outerFolds ?? 10;
  const fold = stratifiedFolds(data.strata, { k, seed: options.outerSeed ?? 1 });
  const n = data.views.length;
  const scores = data.views[0].map(() => new Array<number>(n));
  const modes = { never: new Array<number>(n), always: new Array<number>(n), auto: [] as number[] };
  const asked = new Array<boolean>(n).fill(false);
  const folds: CrossValidation["folds"] = [];
  for (let f = 0; f < k; f++) {
    const t = trainHead(subset(data, (i) => fold[i] !== f), options);
    const s = t.second;
    folds.push({
      l2: t.l2,
      rawThreshold: t.rawThreshold,
      foodFloor: t.gate.foodFloor,
      ...(s ? { second: { l2: s.l2, rawThreshold: s.rawThreshold, band: s.band } } : {}),
    });
    data.views.forEach((views, i) => {
      if (fold[i] !== f) return;
      views.forEach((_, v) => (scores[v][i] = cascadeFor(t, data, i, v, "auto").score));
      modes.never[i] = cascadeFor(t, data, i, 0, "never").score;
      modes.always[i] = cascadeFor(t, data, i, 0, "always").score;
      asked[i] = cascadeFor(t, data, i, 0, "auto").source === "second-opinion";
    });
  }
  modes.auto = scores[0];
  return { scores, modes, asked, fold, folds };
}

/**
 * The threshold the held-out cascade scores need for the target specificity. The inner
 * selection picks the operating point on scores of heads trained on less data than the head it
 * ships, which came out conservative on unseen photos (specificity 0.966 for a target of 0.95);
 * the outer cross-validation measures that, so the shipped fused head is shifted by it.
 */
export function heldOutThreshold(
  scores: readonly number[],
  labels: readonly boolean[],
  target: number,
  keep: (i: number) => boolean = () => true,
): number {
  const scored = scores.map((score, i) => ({ score, hotdog: labels[i] })).filter((_, i) => keep(i));
  return thresholdForSpecificity(scored, target);
}

/**
 * Honest scores for the corrected cascade: each outer fold's asked photos are rescaled by the
 * threshold the other folds' held-out scores give, so no photo chose its own correction.
 */
export function correctedHeldOut(
  cv: Pick<CrossValidation, "asked" | "fold"> & { auto: readonly number[] },
  labels: readonly boolean[],
  target: number,
): number[] {
  const k = Math.max(...cv.fold) + 1;
  const byFold = Array.from(
    { length: k },
    (_, f) => heldOutThreshold(cv.auto, labels, target, (i) => cv.fold[i] !== f),
  );
  return cv.auto.map((s, i) => (cv.asked[i] ? shiftScore(s, byFold[cv.fold[i]]) : s));
}

/** A photo's score as the service would give it, from one view, in one mode. */
export function cascadeFor(
  t: Pick<TrainedHead, "head" | "gate" | "second">,
  data: Dataset,
  i: number,
  v: number,
  mode: SecondOpinionMode,
): { score: number; source: string } {
  const features = data.views[i][v];
  return cascadeScore({ head: t.head, gate: t.gate, secondOpinion: t.second }, {
    features,
    fused: data.classifier ? fusedVector(features, data.classifier[i]) : null,
    classScore: data.classScores[i],
    foodScore: data.foodScores[i],
  }, mode);
}

/** Trains on the photos `train` selects and scores the others' first view (auto). */
export function trainAndScore(
  data: Dataset,
  train: (i: number) => boolean,
  options: TrainOptions = {},
): { scores: Map<number, number>; trained: TrainedHead } {
  const trained = trainHead(subset(data, train), options);
  const scores = new Map<number, number>();
  data.views.forEach((_, i) => {
    if (!train(i)) scores.set(i, cascadeFor(trained, data, i, 0, "auto").score);
  });
  return { scores, trained };
}

/** A photo's score from one head behind the food gate (COCO's class below it). */
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
  rows: Rows,
  fold: number[],
  options: { k: number; l2: number; gate: { foodFloor: number } },
): number[] {
  const oof = new Array<number>(data.views.length);
  for (let f = 0; f < options.k; f++) {
    const train = subset(data, (i) => fold[i] !== f);
    const { head } = fitLogistic(...allRows(train, rows), { l2: options.l2 });
    data.views.forEach((_, i) => {
      if (fold[i] === f) {
        oof[i] = gatedScore({ head, gate: options.gate }, data, i, rows(data, i)[0]);
      }
    });
  }
  return oof;
}

/** Every view of every photo as a training row, with its photo's label. */
function allRows(data: Dataset, rows: Rows): [Float64Array[], boolean[]] {
  const out: Float64Array[] = [];
  const labels: boolean[] = [];
  data.views.forEach((_, i) => {
    for (const x of rows(data, i)) {
      out.push(x);
      labels.push(data.labels[i]);
    }
  });
  return [out, labels];
}

function subset(data: Dataset, keep: (i: number) => boolean): Dataset {
  const idx = data.views.map((_, i) => i).filter(keep);
  return {
    views: idx.map((i) => data.views[i]),
    labels: idx.map((i) => data.labels[i]),
    strata: idx.map((i) => data.strata[i]),
    classScores: idx.map((i) => data.classScores[i]),
    foodScores: idx.map((i) => data.foodScores[i]),
    ...(data.classifier ? { classifier: idx.map((i) => data.classifier![i]) } : {}),
  };
}
