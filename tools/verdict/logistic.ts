/** Trains L2-regularised logistic regression on standardised rows with L-BFGS (deterministic). */
import { fitStandardiser, type LogisticHead, standardise } from "../../inference/verdict/head.ts";

export interface LogisticOptions {
  /** L2 penalty on the weights (not the bias), per the mean loss. */
  l2: number;
  /** L-BFGS iterations at most (default 500). */
  maxIterations?: number;
  /** Stop when the gradient's largest component falls below this (default 1e-6). */
  tolerance?: number;
}

export interface FitReport {
  head: LogisticHead;
  iterations: number;
  /** Mean log loss plus penalty at the end. */
  loss: number;
  gradientNorm: number;
}

/** Fits standardisation and weights on these rows; labels are true for hot dogs. */
export function fitLogistic(
  rows: readonly ArrayLike<number>[],
  labels: readonly boolean[],
  options: LogisticOptions,
): FitReport {
  if (rows.length === 0 || rows.length !== labels.length) {
    throw new RangeError(
      `Cannot train on ${rows.length} rows with ${labels.length} labels: need as many, >= 1`,
    );
  }
  const std = fitStandardiser(rows);
  const xs = rows.map((r) => standardise(std, r));
  const y = labels.map((l) => (l ? 1 : 0));
  const d = xs[0].length;
  const n = xs.length;
  // Parameters: d weights then the bias.
  const objective = (p: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      let z = p[d];
      for (let j = 0; j < d; j++) z += p[j] * x[j];
      // log(1 + e^z) - y z, computed without overflow.
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z;
      const r = 1 / (1 + Math.exp(-z)) - y[i];
      for (let j = 0; j < d; j++) grad[j] += r * x[j];
      grad[d] += r;
    }
    let penalty = 0;
    for (let j = 0; j <= d; j++) grad[j] /= n;
    for (let j = 0; j < d; j++) {
      penalty += p[j] * p[j];
      grad[j] += options.l2 * p[j];
    }
    return loss / n + (options.l2 / 2) * penalty;
  };
  const result = lbfgs(objective, new Float64Array(d + 1), {
    maxIterations: options.maxIterations ?? 500,
    tolerance: options.tolerance ?? 1e-6,
  });
  return {
    head: {
      kind: "logistic",
      mean: std.mean,
      scale: std.scale,
      weights: Array.from(result.x.subarray(0, d)),
      bias: result.x[d],
    },
    iterations: result.iterations,
    loss: result.value,
    gradientNorm: result.gradientNorm,
  };
}

interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  gradientNorm: number;
}

/** Limited-memory BFGS (m = 10) with a backtracking Armijo line search; minimises f in place. */
export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  options: { maxIterations: number; tolerance: number },
): LbfgsResult {
  const m = 10;
  const n = x0.length;
  const x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const s: Float64Array[] = [];
  const yv: Float64Array[] = [];
  const rho: number[] = [];
  const maxAbs = (v: Float64Array) => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  const dot = (a: Float64Array, b: Float64Array) => {
    let t = 0;
    for (let i = 0; i < n; i++) t += a[i] * b[i];
    return t;
  };
  let iter = 0;
  for (; iter < options.maxIterations && maxAbs(g) > options.tolerance; iter++) {
    // Two-loop recursion: direction = -H g.
    const q = Float64Array.from(g);
    const alpha = new Array<number>(s.length);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(s[k], q);
      for (let i = 0; i < n; i++) q[i] -= alpha[k] * yv[k][i];
    }
    const gamma = s.length > 0 ? dot(s.at(-1)!, yv.at(-1)!) / dot(yv.at(-1)!, yv.at(-1)!) : 1;
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k] * dot(yv[k], q);
      for (let i = 0; i < n; i++) q[i] += s[k][i] * (alpha[k] - beta);
    }
    const dir = q.map((v) => -v);
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (curvature lost): restart from steepest descent.
      s.length = yv.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i];
      slope = dot(g, dir);
    }
    let step = s.length === 0 ? Math.min(1, 1 / Math.max(1e-12, maxAbs(g))) : 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let fNew = Infinity;
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i] - x[i];
      yk[i] = gNew[i] - g[i];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      s.push(sk);
      yv.push(yk);
      rho.push(1 / sy);
      if (s.length > m) {
        s.shift();
        yv.shift();
        rho.shift();
      }
    }
    x.set(xNew);
    g = gNew;
    fx = fNew;
  }
  return { x, value: fx, iterations: iter, gradientNorm: maxAbs(g) };
}
