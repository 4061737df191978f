/** The most likely hot-dog region: the cell COCO's `hot dog` class scores highest, as a box. */
import type { HeadTensor } from "../postprocess.ts";
import type { Box } from "../types.ts";

export interface Region {
  box: Box;
  /** objectness x `hot dog` probability of that cell, 0-1 (often far below the box threshold). */
  score: number;
}

/** Tensor to image coordinates, as postprocess maps them: image = (tensor - pad) / scale. */
export interface ImageMapping {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  imageWidth: number;
  imageHeight: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Pure: scans every cell for the best objectness x class-`classId` score and decodes that
 * cell's box. Null when no cell scores above `floor` (default 0.001): nothing to point at.
 */
export function bestRegion(
  heads: readonly HeadTensor[],
  classId: number,
  options: ImageMapping & { numClasses: number; floor?: number },
): Region | null {
  const no = options.numClasses + 5;
  let best = options.floor ?? 0.001;
  let bestLogit = logit(best);
  let found: { head: HeadTensor; a: number; cell: number } | null = null;
  for (const head of heads) {
    const cells = head.ny * head.nx;
    for (let a = 0; a < head.anchors.length; a++) {
      const base = a * no * cells;
      for (let cell = 0; cell < cells; cell++) {
        const o = head.data[base + 4 * cells + cell];
        const c = head.data[base + (5 + classId) * cells + cell];
        // A product of two sigmoids is below each: skip cells either factor rules out.
        if (!(o > bestLogit && c > bestLogit)) continue;
        const s = sigmoid(o) * sigmoid(c);
        if (s > best) {
          best = s;
          bestLogit = logit(s);
          found = { head, a, cell };
        }
      }
    }
  }
  if (!found) return null;
  const { head, a, cell } = found;
  const cells = head.ny * head.nx;
  const v = (k: number) => sigmoid(head.data[a * no * cells + k * cells + cell]);
  const gx = cell % head.nx;
  const gy = (cell - gx) / head.nx;
  const cx = (v(0) * 2 - 0.5 + gx) * head.stride;
  const cy = (v(1) * 2 - 0.5 + gy) * head.stride;
  const w = (v(2) * 2) ** 2 * head.anchors[a][0];
  const h = (v(3) * 2) ** 2 * head.anchors[a][1];
  const m = options;
  const clip = (x: number, max: number) => Math.min(Math.max(x, 0), max);
  return {
    box: {
      x1: clip((cx - w / 2 - m.padX) / m.scaleX, m.imageWidth),
      y1: clip((cy - h / 2 - m.padY) / m.scaleY, m.imageHeight),
      x2: clip((cx + w / 2 - m.padX) / m.scaleX, m.imageWidth),
      y2: clip((cy + h / 2 - m.padY) / m.scaleY, m.imageHeight),
    },
    score: best,
  };
}
