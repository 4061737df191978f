/** Builds the verdict model file: nested-CV metrics, the final head, and its provenance. */
import type { PhotoRun } from "./extract.ts";
import type { FeatureSpec } from "./features.ts";
import type { Scored } from "./metrics.ts";
import { VERDICT_FORMAT, type VerdictModel } from "./model.ts";
import { summarise, SUMMARY_HEADER, summaryRow, sweepRows, table } from "./report.ts";
import { crossValidate, type Dataset, FOOD_KEEP, trainAndScore, trainHead } from "./train.ts";

export interface BuildOptions {
  detector: VerdictModel["detector"];
  features: FeatureSpec;
  /** Outer folds for the held-out numbers (default 10). */
  outerFolds?: number;
  /** Seed for every split (default 1). */
  seed?: number;
  /** The operating point the threshold keeps on out-of-fold scores (default 0.95). */
  targetSpecificity?: number;
  /** The old verdict's threshold on COCO's class score, for the baseline row (default 0.25). */
  classThreshold?: number;
  provenance: Record<string, unknown>;
}

/** One input size's runs over the same photos, in the same order. */
export interface View {
  width: number;
  height: number;
  runs: readonly PhotoRun[];
}

/**
 * Trains on every view (input size) and scores; the first view is the size the service runs,
 * which the threshold and the headline numbers are for. Returns the file and a text report.
 */
export function buildVerdict(
  views: readonly View[],
  options: BuildOptions,
): { model: VerdictModel; report: string } {
  const runs = views[0].runs;
  const seed = options.seed ?? 1;
  const target = options.targetSpecificity ?? 0.95;
  const classThreshold = options.classThreshold ?? 0.25;
  const data: Dataset = {
    views: runs.map((_, i) => views.map((v) => v.runs[i].features)),
    labels: runs.map((r) => r.photo.hotdog),
    strata: runs.map((r) => `${r.photo.set}/${r.photo.hotdog}`),
    classScores: runs.map((r) => r.classScore),
    foodScores: runs.map((r) => r.foodScore),
  };
  const sets = [...new Set(runs.map((r) => r.photo.set))].sort();
  const train = { seed, targetSpecificity: target };

  // 1. Held-out scores: every photo scored by a head whose selection never saw it.
  const cv = crossValidate(data, {
    ...train,
    outerFolds: options.outerFolds ?? 10,
    outerSeed: seed,
  });
  const heldAt = (v: number): Scored[] =>
    cv.scores[v].map((score, i) => ({ score, hotdog: data.labels[i] }));
  const held = heldAt(0);
  const sizeName = (v: View) => `${v.width}x${v.height}`;
  const cls: Scored[] = runs.map((r) => ({ score: r.classScore, hotdog: r.photo.hotdog }));
  const inSet = (s: string) => (_: unknown, i: number) => runs[i].photo.set === s;

  // 2. Across sets: train on one dev set, test on the other (a harder, different-source test).
  const crossSet = sets.length < 2 ? [] : sets.map((test) => {
    const { scores } = trainAndScore(data, (i) => runs[i].photo.set !== test, train);
    const scored = [...scores].map(([i, score]) => ({ score, hotdog: data.labels[i] }));
    return { train: sets.filter((s) => s !== test).join("+"), test, ...summarise(scored, 0.5) };
  });

  // 3. The shipped head: the same selection on every photo.
  const final = trainHead(data, train);

  const metrics = {
    protocol: `${options.outerFolds ?? 10}-fold cross-validation stratified by set and class ` +
      `(seed ${seed}); inside each training part a 5-fold cross-validation picks the L2 penalty ` +
      `(by AUC) and the threshold (specificity ${target} on out-of-fold scores), so every number ` +
      "below is held out: no photo was used to choose anything about the head that scored it. " +
      `Scores are the service's: the head judges photos where COCO's food evidence reaches the ` +
      `level ${FOOD_KEEP * 100}% of the training hot dogs reach, COCO's class the others`,
    heldOut: {
      all: summarise(held, 0.5),
      ...Object.fromEntries(sets.map((s) => [s, summarise(held.filter(inSet(s)), 0.5)])),
    },
    bySize: Object.fromEntries(views.map((v, k) => [sizeName(v), summarise(heldAt(k), 0.5)])),
    crossSet,
    sweep: sweepRows(held),
    classOnly: {
      threshold: classThreshold,
      all: summarise(cls, classThreshold),
      ...Object.fromEntries(sets.map((s) => [s, summarise(cls.filter(inSet(s)), classThreshold)])),
      sweep: sweepRows(cls),
    },
    selection: {
      l2: final.l2,
      rawThreshold: round6(final.rawThreshold),
      aucByL2: final.aucByL2.map((a) => ({ l2: a.l2, auc: round6(a.auc) })),
      foodFloor: round6(final.gate.foodFloor),
      foldChoices: cv.folds.map((f) => ({
        l2: f.l2,
        rawThreshold: round6(f.rawThreshold),
        foodFloor: round6(f.foodFloor),
      })),
    },
  };

  const h = final.head;
  const model: VerdictModel = {
    format: VERDICT_FORMAT,
    detector: options.detector,
    features: { ...options.features, pooled: [...options.features.pooled], length: h.mean.length },
    head: {
      kind: "logistic",
      mean: h.mean.map(round6),
      scale: h.scale.map(round6),
      weights: h.weights.map(round6),
      bias: round6(h.bias),
    },
    gate: { foodFloor: round6(final.gate.foodFloor) },
    metrics,
    provenance: options.provenance,
  };

  const summaryTable = table([
    SUMMARY_HEADER,
    summaryRow(`head @0.5, all, ${sizeName(views[0])}`, metrics.heldOut.all),
    ...sets.map((s) => summaryRow(`head @0.5, ${s}`, summarise(held.filter(inSet(s)), 0.5))),
    ...views.slice(1).map((v, k) =>
      summaryRow(`head @0.5, all, at ${sizeName(v)}`, summarise(heldAt(k + 1), 0.5))
    ),
    ...crossSet.map((c) => summaryRow(`head trained on ${c.train} only, ${c.test}`, c)),
    summaryRow(`COCO class @${classThreshold}, all`, metrics.classOnly.all),
    ...sets.map((s) =>
      summaryRow(
        `COCO class @${classThreshold}, ${s}`,
        summarise(cls.filter(inSet(s)), classThreshold),
      )
    ),
  ]);
  const sweepTable = table([
    ["threshold", "recall", "specificity", "accuracy"],
    ...metrics.sweep.map((r) => [String(r.threshold), r.recall, r.specificity, r.accuracy]),
  ]);
  const report = [
    `Held-out verdict quality (${metrics.protocol}). Trained on input sizes ` +
    `${views.map(sizeName).join(", ")}; the first is the one served.`,
    "",
    summaryTable,
    "",
    "HOTDOG_THRESHOLD sweep on the held-out scores:",
    "",
    sweepTable,
    "",
    `Shipped head: L2 ${final.l2}, operating point at raw score ${final.rawThreshold.toFixed(4)} ` +
    `(moved to 0.5), ${h.mean.length} features.`,
  ].join("\n");
  return { model, report };
}

/** Six significant digits: enough for float32 activations, and stable across runs. */
export function round6(v: number): number {
  return Number(v.toPrecision(6));
}

/** JSON with two-space indents but every array of numbers on one line: diffable yet compact. */
export function formatJson(value: unknown, indent = ""): string {
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) {
    return `[${value.join(",")}]`;
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = indent + "  ";
  const entries = Array.isArray(value)
    ? value.map((v) => inner + formatJson(v, inner))
    : Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`);
  if (entries.length === 0) return Array.isArray(value) ? "[]" : "{}";
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${entries.join(",\n")}\n${indent}${close}`;
}
