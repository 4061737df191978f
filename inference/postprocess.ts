/** Decodes raw YOLOv5 detect-output logits into boxes, filters, runs class-aware NMS and maps back. */
import type { Box, Detection } from "./types.ts";

/**
 * One of YOLO's detect outputs (the graph's per-stride "heads"; not the verdict head): logits
 * [anchors * (5 + classes), ny, nx] for batch item 0.
 */
export interface DetectOutput {
  data: Float32Array;
  ny: number;
  nx: number;
  stride: number;
  /** Anchor [w, h] in input pixels, one per anchor. */
  anchors: readonly (readonly [number, number])[];
}

/** Tensor to image coordinates: image = (tensor - pad) / scale, clipped to the image. */
export interface ImageMapping {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  imageWidth: number;
  imageHeight: number;
}

export interface PostprocessOptions extends ImageMapping {
  classNames: readonly string[];
  /** Confidence threshold on objectness x class probability (CONF_THRESHOLD or the request's). */
  conf: number;
  /** IoU threshold for NMS. */
  iou: number;
  /** Keep at most this many detections (as Ultralytics' max_det). */
  maxDetections: number;
  /** Keep only these class ids (after the best class is chosen, as Ultralytics does). */
  classes?: readonly number[];
}

export interface PostprocessResult {
  detections: Detection[];
  /** Per class, the highest objectness x class probability seen in any cell (0 if none). */
  classMax: Float32Array;
  /**
   * Per class, the best score among cells whose best class it is: what the best detection of
   * that class would score before thresholds, NMS and class filters.
   */
  classBest: Float32Array;
}

// Ultralytics caps the boxes entering NMS; the cap only matters for degenerate inputs.
const MAX_NMS = 30000;
// Per-class maxima are tracked for cells with objectness above this (cheap, and no class
// probability below it can matter).
const CLASS_MAX_OBJ = 0.001;

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
export const logit = (p: number) => Math.log(p / (1 - p));

/** Pure: the whole postprocess for one image. */
export function postprocess(
  outputs: readonly DetectOutput[],
  options: PostprocessOptions,
): PostprocessResult {
  const { conf } = options;
  const numClasses = options.classNames.length;
  const no = numClasses + 5;
  const classMax = new Float32Array(numClasses);
  const classBest = new Float32Array(numClasses);
  // log(classMax), to rule classes out without a sigmoid: obj * sigmoid(v) < obj * e^min(v, 0).
  const logClassMax = new Float64Array(numClasses).fill(-Infinity);
  const allowed = options.classes ? new Set(options.classes) : null;
  // Comparing logits avoids a sigmoid per cell: sigmoid is monotonic.
  const objLogitMin = logit(Math.min(conf, CLASS_MAX_OBJ));
  const cand: { x1: number; y1: number; x2: number; y2: number; score: number; cls: number }[] = [];

  for (const output of outputs) {
    const { data, ny, nx, anchors } = output;
    const cells = ny * nx;
    if (data.length < anchors.length * no * cells) {
      throw new RangeError(
        `Cannot postprocess: head of ${data.length} values is smaller than ${anchors.length}x${no}x${ny}x${nx}`,
      );
    }
    for (let a = 0; a < anchors.length; a++) {
      const base = a * no * cells;
      const objBase = base + 4 * cells;
      for (let cell = 0; cell < cells; cell++) {
        const objLogit = data[objBase + cell];
        if (!(objLogit > objLogitMin)) continue;
        const obj = sigmoid(objLogit);
        // The margin keeps the bound safe against rounding: only sure losers are skipped, so
        // classMax is bit for bit what scoring every class gives.
        const logObj = Math.log(obj) + 1e-6;
        let best = -1;
        let bestLogit = -Infinity;
        for (let c = 0; c < numClasses; c++) {
          const v = data[base + (5 + c) * cells + cell];
          if (v > bestLogit) {
            bestLogit = v;
            best = c;
          }
          // Only classes that could beat the current per-class maximum pay for a sigmoid.
          if (v > -9 && logObj + (v < 0 ? v : 0) > logClassMax[c]) {
            const s = obj * sigmoid(v);
            if (s > classMax[c]) {
              classMax[c] = s;
              logClassMax[c] = Math.log(classMax[c]);
            }
          }
        }
        const score = obj * sigmoid(bestLogit);
        if (score > classBest[best]) classBest[best] = score;
        if (obj <= conf || !(score > conf)) continue;
        if (allowed && !allowed.has(best)) continue;
        cand.push({ ...cellBox(output, a, cell, no), score, cls: best });
      }
    }
  }

  cand.sort((p, q) => q.score - p.score);
  if (cand.length > MAX_NMS) cand.length = MAX_NMS;
  const kept = nms(cand, options.iou, options.maxDetections);
  const detections = kept.map((k) => ({
    label: options.classNames[k.cls],
    classId: k.cls,
    score: k.score,
    box: toImage(k, options),
  }));
  return { detections, classMax, classBest };
}

/** Greedy class-aware NMS over candidates sorted by score, best first. */
export function nms<T extends Box & { cls: number }>(
  sorted: readonly T[],
  iou: number,
  max: number,
): T[] {
  const kept: T[] = [];
  const suppressed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length && kept.length < max; i++) {
    if (suppressed[i]) continue;
    const a = sorted[i];
    kept.push(a);
    for (let j = i + 1; j < sorted.length; j++) {
      if (!suppressed[j] && sorted[j].cls === a.cls && boxIou(a, sorted[j]) > iou) {
        suppressed[j] = 1;
      }
    }
  }
  return kept;
}

export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box one anchor of one cell predicts, in tensor pixels (YOLOv5's decode). */
export function cellBox(
  output: DetectOutput,
  anchor: number,
  cell: number,
  numOutputs: number,
): Box {
  const cells = output.ny * output.nx;
  const base = anchor * numOutputs * cells;
  const v = (k: number) => sigmoid(output.data[base + k * cells + cell]);
  const gx = cell % output.nx;
  const gy = (cell - gx) / output.nx;
  const cx = (v(0) * 2 - 0.5 + gx) * output.stride;
  const cy = (v(1) * 2 - 0.5 + gy) * output.stride;
  const w = (v(2) * 2) ** 2 * output.anchors[anchor][0];
  const h = (v(3) * 2) ** 2 * output.anchors[anchor][1];
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}

/** A tensor-space box in image pixels, clipped to the image. */
export function toImage(b: Box, o: ImageMapping): Box {
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return {
    x1: clip((b.x1 - o.padX) / o.scaleX, o.imageWidth),
    y1: clip((b.y1 - o.padY) / o.scaleY, o.imageHeight),
    x2: clip((b.x2 - o.padX) / o.scaleX, o.imageWidth),
    y2: clip((b.y2 - o.padY) / o.scaleY, o.imageHeight),
  };
}
