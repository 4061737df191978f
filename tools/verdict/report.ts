/** Summaries and plain-text tables of verdict quality, shared by the eval and train CLIs. */
import { type Confusion, confusion, rocAuc, type Scored, sweep, wilson } from "./metrics.ts";

/** A confusion (rates rounded for reports) with its size, intervals and AUC. */
export interface Summary extends Confusion {
  n: number;
  /** 95% Wilson intervals. */
  recallCi: [number, number];
  specificityCi: [number, number];
  auc: number;
}

/** The confusion at `threshold` with intervals and the threshold-free AUC. */
export function summarise(scored: readonly Scored[], threshold: number): Summary {
  const c = confusion(scored, threshold);
  return {
    n: scored.length,
    threshold,
    tp: c.tp,
    fn: c.fn,
    tn: c.tn,
    fp: c.fp,
    recall: round(c.recall),
    specificity: round(c.specificity),
    accuracy: round(c.accuracy),
    recallCi: wilson(c.tp, c.tp + c.fn).map(round) as [number, number],
    specificityCi: wilson(c.tn, c.tn + c.fp).map(round) as [number, number],
    auc: round(rocAuc(scored)),
  };
}

/** Thresholds a sweep shows: the head's scale is 0-1 with its operating point at 0.5. */
export const SWEEP = [0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

export function sweepRows(scored: readonly Scored[], thresholds: readonly number[] = SWEEP) {
  return sweep(scored, thresholds).map((c) => ({
    threshold: c.threshold,
    recall: round(c.recall),
    specificity: round(c.specificity),
    accuracy: round(c.accuracy),
  }));
}

/** Aligned columns, first row the header, with a rule under it. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((v) => (typeof v === "number" ? fmt(v) : v)));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => (r[j] ?? "").length)));
  const line = (r: string[]) => r.map((v, j) => v.padEnd(widths[j])).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)]
    .join("\n");
}

/** One summary as a table row: label, n, recall [CI], specificity [CI], accuracy, AUC. */
export function summaryRow(label: string, s: Summary): string[] {
  const ci = (c: [number, number]) => `[${fmt(c[0])}, ${fmt(c[1])}]`;
  return [
    label,
    String(s.n),
    `${fmt(s.recall)} ${ci(s.recallCi)}`,
    `${fmt(s.specificity)} ${ci(s.specificityCi)}`,
    fmt(s.accuracy),
    fmt(s.auc),
  ];
}

export const SUMMARY_HEADER = [
  "",
  "photos",
  "recall [95% CI]",
  "specificity [95% CI]",
  "accuracy",
  "AUC",
];

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v);
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "-");
