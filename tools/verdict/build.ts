/** Builds the verdict model file: nested-CV metrics, the final head, and its provenance. */
import type { PhotoRun } from "./extract.ts";
import type { FeatureSpec } from "../../inference/verdict/features.ts";
import type { Scored } from "./metrics.ts";
import { VERDICT_FORMAT, type VerdictModel } from "../../inference/verdict/model.ts";
import { summarise, SUMMARY_HEADER, summaryRow, sweepRows, table } from "./report.ts";
import {
  correctedHeldOut,
  crossValidate,
  type Dataset,
  FOOD_KEEP,
  heldOutThreshold,
  shiftToHalf,
  trainAndScore,
  trainHead,
} from "./train.ts";

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
  /** The classifier the runs' `classifier` vectors came from; absent: no second opinion. */
  classifier?: { name: string; sha256: string; channels: number };
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
    ...(options.classifier ? { classifier: runs.map((r) => r.classifier!) } : {}),
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
  // The cascade's operating point, as the outer cross-validation measured it (see
  // heldOutThreshold); the numbers below are for it, each fold corrected by the others only.
  // Rounded as the file stores it, so the shipped head is reproducible from the file alone.
  const correction = options.classifier
    ? round6(heldOutThreshold(cv.modes.auto, data.labels, target))
    : 0.5;
  const corrected = options.classifier
    ? correctedHeldOut({ ...cv, auto: cv.modes.auto }, data.labels, target)
    : cv.scores[0];
  const held: Scored[] = corrected.map((score, i) => ({ score, hotdog: data.labels[i] }));
  const heldIn = (mode: "never" | "always" | "auto"): Scored[] =>
    cv.modes[mode].map((score, i) => ({ score, hotdog: data.labels[i] }));
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
      (options.classifier
        ? "The cascade's operating point is then corrected by the threshold the outer held-out " +
          "scores need for the target specificity (each fold's numbers corrected by the other " +
          "folds only). "
        : "") +
      `Scores are the service's: the head judges photos where COCO's food evidence reaches the ` +
      `level ${FOOD_KEEP * 100}% of the training hot dogs reach, COCO's class the others`,
    heldOut: {
      all: summarise(held, 0.5),
      ...Object.fromEntries(sets.map((s) => [s, summarise(held.filter(inSet(s)), 0.5)])),
    },
    ...(options.classifier
      ? {
        secondOpinion: {
          never: summarise(heldIn("never"), 0.5),
          always: summarise(heldIn("always"), 0.5),
          autoUncorrected: summarise(heldIn("auto"), 0.5),
          auto: summarise(held, 0.5),
          thresholdCorrection: round6(correction),
          askedShare: round6(cv.asked.filter(Boolean).length / runs.length),
          sweepAlways: sweepRows(heldIn("always")),
          sweepNever: sweepRows(heldIn("never")),
        },
      }
      : {}),
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
        ...(f.second
          ? {
            second: {
              l2: f.second.l2,
              rawThreshold: round6(f.second.rawThreshold),
              band: [round6(f.second.band.low), round6(f.second.band.high)],
            },
          }
          : {}),
      })),
      ...(final.second
        ? {
          second: {
            l2: final.second.l2,
            rawThreshold: round6(final.second.rawThreshold),
            cascadeThreshold: round6(final.second.cascadeThreshold),
            aucByL2: final.second.aucByL2.map((a) => ({ l2: a.l2, auc: round6(a.auc) })),
            bandShare: round6(final.second.bandShare),
          },
        }
        : {}),
    },
  };

  const h = final.head;
  const so = final.second;
  const roundHead = (x: typeof h) => ({
    kind: "logistic" as const,
    mean: x.mean.map(round6),
    scale: x.scale.map(round6),
    weights: x.weights.map(round6),
    bias: round6(x.bias),
  });
  const model: VerdictModel = {
    format: VERDICT_FORMAT,
    detector: options.detector,
    features: { ...options.features, pooled: [...options.features.pooled], length: h.mean.length },
    head: roundHead(h),
    gate: { foodFloor: round6(final.gate.foodFloor) },
    secondOpinion: so && options.classifier
      ? {
        classifier: options.classifier,
        length: so.head.mean.length,
        head: roundHead(shiftToHalf(so.head, correction)),
        band: { low: round6(so.band.low), high: round6(so.band.high) },
      }
      : null,
    metrics,
    provenance: options.provenance,
  };

  const summaryTable = table([
    SUMMARY_HEADER,
    summaryRow(
      `${options.classifier ? "cascade (auto)" : "head"} @0.5, all, ${sizeName(views[0])}`,
      metrics.heldOut.all,
    ),
    ...(options.classifier
      ? [
        summaryRow("detector head alone (never) @0.5", summarise(heldIn("never"), 0.5)),
        summaryRow("second opinion always @0.5", summarise(heldIn("always"), 0.5)),
        summaryRow("cascade (auto) before correction @0.5", summarise(heldIn("auto"), 0.5)),
      ]
      : []),
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
    ...(so
      ? [
        `Second opinion: fused head L2 ${so.l2}, ${so.head.mean.length} features, band ` +
        `[${so.band.low.toFixed(4)}, ${so.band.high.toFixed(4)}] on the head's score ` +
        `(out-of-fold share asked ${so.bandShare.toFixed(3)}; held out, auto asked ` +
        `${(cv.asked.filter(Boolean).length / runs.length).toFixed(3)} of all photos); ` +
        `operating point corrected by the outer held-out threshold ${correction.toFixed(4)}.`,
      ]
      : []),
  ].join("\n");
  return { model, report };
}

/** Six significant digits: enough for float32 activations, and stable across runs. */
export function round6(v: number): number {
  return Number(v.toPrecision(6));
}

/** `deno fmt`'s line width (deno.json), which the written file must respect to stay formatted. */
const LINE_WIDTH = 100;

/**
 * JSON laid out exactly as `deno fmt` lays it out, so the written file is formatted as written:
 * two-space indents, objects one entry per line, an array of numbers on one line when that line
 * fits the width, else one number per line. `prefix` is what precedes the value on its line.
 */
export function formatJson(value: unknown, indent = "", prefix = 0): string {
  const inner = indent + "  ";
  if (Array.isArray(value) && value.every((v) => typeof v === "number")) {
    const line = `[${value.join(", ")}]`;
    // The closing bracket may be followed by a comma.
    if (value.length === 0 || prefix + line.length + 1 <= LINE_WIDTH) return line;
    return `[\n${value.map((v) => inner + v).join(",\n")}\n${indent}]`;
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  const entries = Array.isArray(value)
    ? value.map((v) => inner + formatJson(v, inner, inner.length))
    : Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        const key = `${inner}${JSON.stringify(k)}: `;
        return key + formatJson(v, inner, key.length);
      });
  if (entries.length === 0) return Array.isArray(value) ? "[]" : "{}";
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${entries.join(",\n")}\n${indent}${close}`;
}
