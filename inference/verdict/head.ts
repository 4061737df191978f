/** The verdict head's math: standardise a feature vector, then logistic regression. */

/** Per-feature standardisation: x' = (x - mean) / scale. */
export interface Standardiser {
  mean: number[];
  scale: number[];
}

/** p = sigmoid(bias + weights . x'). */
export interface LogisticHead extends Standardiser {
  kind: "logistic";
  weights: number[];
  bias: number;
}

export type Head = LogisticHead;

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Mean and standard deviation per column; constant columns get scale 1 so they add nothing. */
export function fitStandardiser(rows: readonly ArrayLike<number>[]): Standardiser {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) scale[j] += (r[j] - mean[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scale[j] / rows.length);
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  return { mean, scale };
}

/** The standardised copy of one vector. */
export function standardise(s: Standardiser, x: ArrayLike<number>): Float64Array {
  if (x.length !== s.mean.length) {
    throw new RangeError(
      `Cannot standardise a vector of ${x.length} features: the head expects ${s.mean.length}`,
    );
  }
  const out = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = (x[j] - s.mean[j]) / s.scale[j];
  return out;
}

/** The head's log-odds that the vector shows a hot dog. */
export function headLogit(head: Head, x: ArrayLike<number>): number {
  return head.bias + dot(head.weights, standardise(head, x));
}

/** The head's probability, 0-1, that the vector shows a hot dog. */
export function headScore(head: Head, x: ArrayLike<number>): number {
  return sigmoid(headLogit(head, x));
}

function dot(w: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += w[j] * x[j];
  return s;
}
