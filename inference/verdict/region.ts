/** The most likely hot-dog region: the cell COCO's `hot dog` class scores highest, as a box. */
import {
  cellBox,
  type DetectOutput,
  type ImageMapping,
  logit,
  sigmoid,
  toImage,
} from "../postprocess.ts";
import type { Box } from "../types.ts";

export interface Region {
  box: Box;
  /** objectness x `hot dog` probability of that cell, 0-1 (often far below the box threshold). */
  score: number;
}

/**
 * Pure: scans every cell for the best objectness x class-`classId` score and decodes that
 * cell's box. Null when no cell scores above `floor` (default 0.001): nothing to point at.
 */
export function bestRegion(
  outputs: readonly DetectOutput[],
  classId: number,
  options: ImageMapping & { numClasses: number; floor?: number },
): Region | null {
  const no = options.numClasses + 5;
  let best = options.floor ?? 0.001;
  let bestLogit = logit(best);
  let found: { head: DetectOutput; a: number; cell: number } | null = null;
  for (const head of outputs) {
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
  return {
    box: toImage(cellBox(head, a, cell, no), options),
    score: best,
  };
}

/**
 * Pure: where the classifier's crop is centred: the region's centre (oriented pixels), so the
 * second opinion looks where COCO sees the hot dog; null (the photo's centre) without a region.
 */
export function regionCentre(region: Region | null): { x: number; y: number } | null {
  return region
    ? { x: (region.box.x1 + region.box.x2) / 2, y: (region.box.y1 + region.box.y2) / 2 }
    : null;
}
