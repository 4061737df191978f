/** Verdict quality from scores and truths: recall, specificity, sweeps, AUC, intervals. */

/** One photo's verdict score and its truth. */
export interface Scored {
  score: number;
  hotdog: boolean;
}

export interface Confusion {
  threshold: number;
  tp: number;
  fn: number;
  tn: number;
  fp: number;
  /** Hot dogs called hot dog. */
  recall: number;
  /** Not-hot-dogs called not hot dog. */
  specificity: number;
  accuracy: number;
}

/** Counts at one threshold: a photo is called "hotdog" when its score is >= threshold. */
export function confusion(scored: readonly Scored[], threshold: number): Confusion {
  let tp = 0, fn = 0, tn = 0, fp = 0;
  for (const s of scored) {
    const called = s.score >= threshold;
    if (s.hotdog) called ? tp++ : fn++;
    else called ? fp++ : tn++;
  }
  const ratio = (a: number, b: number) => (a + b > 0 ? a / (a + b) : NaN);
  return {
    threshold,
    tp,
    fn,
    tn,
    fp,
    recall: ratio(tp, fn),
    specificity: ratio(tn, fp),
    accuracy: ratio(tp + tn, fn + fp),
  };
}

/** The confusion at each threshold, in the order given. */
export function sweep(scored: readonly Scored[], thresholds: readonly number[]): Confusion[] {
  return thresholds.map((t) => confusion(scored, t));
}

/** Area under the ROC curve: the chance a random hot dog outscores a random other (ties half). */
export function rocAuc(scored: readonly Scored[]): number {
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  let pos = 0, neg = 0, rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j].score === sorted[i].score) j++;
    const midRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) {
      if (sorted[k].hotdog) {
        pos++;
        rankSum += midRank;
      }
    }
    neg += j - i;
    i = j;
  }
  neg -= pos;
  return pos > 0 && neg > 0 ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : NaN;
}

/**
 * The lowest threshold that keeps specificity >= `minSpecificity` on these scores: the score
 * just above the negatives that must be rejected. Used on training scores only.
 */
export function thresholdForSpecificity(scored: readonly Scored[], minSpecificity: number): number {
  const neg = scored.filter((s) => !s.hotdog).map((s) => s.score).sort((a, b) => b - a);
  if (neg.length === 0) return 0;
  // Allowed false positives; the threshold sits between the last allowed and the next one.
  const allowed = Math.floor(neg.length * (1 - minSpecificity) + 1e-9);
  if (allowed >= neg.length) return 0;
  const above = neg[allowed];
  const below = allowed > 0 ? neg[allowed - 1] : Math.min(1, above + 1e-6);
  return nextUp(allowed > 0 ? (above + below) / 2 : above);
}

/** The best recall while specificity stays >= `minSpecificity` (optimistic: in-sample). */
export function recallAtSpecificity(scored: readonly Scored[], minSpecificity: number): number {
  return confusion(scored, thresholdForSpecificity(scored, minSpecificity)).recall;
}

/** 95% Wilson score interval for k successes out of n. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [NaN, NaN];
  const z = 1.959964;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

// Strictly above v, so a threshold between two scores never equals the lower one.
function nextUp(v: number): number {
  return v + Math.max(Math.abs(v) * 1e-12, 1e-15);
}
