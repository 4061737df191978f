/** Rounds a detection result for output, so clients get the precision the model has, not float noise. */

import type { Box, DetectResult, Timings } from "./types.ts";

/**
 * Scores to 3 decimals (the model's int8/fp16 arithmetic and the letterbox's resampling move
 * them by more than 0.001), coordinates to 0.1 px and timings to 0.1 ms.
 */
export const PRECISION = { scoreDecimals: 3, pixelDecimals: 1, msDecimals: 1 } as const;

const at = (decimals: number) => {
  const f = 10 ** decimals;
  return (v: number) => Math.round(v * f) / f;
};
const score = at(PRECISION.scoreDecimals);
const px = at(PRECISION.pixelDecimals);
const ms = at(PRECISION.msDecimals);

const box = (b: Box): Box => ({ x1: px(b.x1), y1: px(b.y1), x2: px(b.x2), y2: px(b.y2) });

function timings(t: Timings): Timings {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, ms(v)])) as unknown as Timings;
}

/** The same result with every score, coordinate and timing rounded; idempotent. */
export function roundResult<T extends DetectResult>(result: T): T {
  const v = result.verdict;
  return {
    ...result,
    hotdogScore: score(result.hotdogScore),
    ...(v
      ? {
        verdict: {
          ...v,
          threshold: score(v.threshold),
          classScore: score(v.classScore),
          foodScore: score(v.foodScore),
          region: v.region ? { box: box(v.region.box), score: score(v.region.score) } : null,
        },
      }
      : {}),
    detections: result.detections.map((d) => ({ ...d, score: score(d.score), box: box(d.box) })),
    timings: timings(result.timings),
  };
}
