/** The verdict head's input: pooled detector activations plus COCO's per-class maxima. */
import type { ClassifierRun } from "../classifier.ts";
import type { PrepareOptions } from "../model_prepare.ts";
import type { ImageMapping } from "../postprocess.ts";
import { IMAGENET_FOODS, IMAGENET_HOTDOG, softmax } from "./imagenet_food.ts";
import { type FeatureSet, featureTap } from "./taps.ts";

/** Which of the detector's own outputs make up the vector, in order. */
export interface FeatureSpec {
  /** Average-pooled activations, found by their place in the graph (see taps.ts). */
  pooled: readonly FeatureSet[];
  /**
   * `picture`: each map averaged over the grid cells that cover the picture, weighted by how
   * much of each cell it covers, so the padding a letterbox adds never enters and a photo gives
   * nearly the same vector at any input shape; `global`: over the whole grid (in the graph).
   */
  pooling: "picture" | "global";
  /** `logClassMax`: then log(max(classMax, 1e-4)) per class; `none`: no class scores. */
  scores: "logClassMax" | "none";
}

/** What the shipped head reads: every stage the run computes anyway, 1,232 values for YOLOv5n. */
export const DEFAULT_FEATURES: FeatureSpec = Object.freeze({
  pooled: Object.freeze(["backbone", "sppf", "neck"] as const),
  pooling: "picture",
  scores: "logClassMax",
});

// Class scores span orders of magnitude; below this they carry no signal, only noise.
const SCORE_FLOOR = 1e-4;

/** The extra graph outputs the spec needs: the maps themselves, or one GlobalAveragePool each. */
export function prepareOptionsFor(spec: FeatureSpec): PrepareOptions {
  return {
    features: spec.pooled.map(featureTap),
    pooling: [spec.pooling === "picture" ? "map" : "avg"],
  };
}

/** One feature output of a run: [1, channels, ny, nx] (1 x 1 when pooled in the graph). */
export interface FeatureMap {
  data: Float32Array;
  dims: readonly number[];
}

/** Where the picture lies in the model input: the letterbox mapping and the tensor's size. */
export interface PictureArea {
  mapping: ImageMapping;
  inputWidth: number;
  inputHeight: number;
}

/**
 * Pure: each map's per-channel mean over the picture, each cell weighted by the share of it the
 * picture covers (the letterbox's pad offsets and scale say where that is). Works for any grid
 * shape: the stride per axis is the input size over the grid size.
 */
export function picturePool(map: FeatureMap, area: PictureArea): Float32Array {
  const [, channels, ny, nx] = map.dims;
  const { mapping: m } = area;
  const wx = coverage(nx, area.inputWidth / nx, m.padX, m.padX + m.imageWidth * m.scaleX);
  const wy = coverage(ny, area.inputHeight / ny, m.padY, m.padY + m.imageHeight * m.scaleY);
  let total = 0;
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) total += wy[y] * wx[x];
  const out = new Float32Array(channels);
  if (!(total > 0)) return out;
  const plane = ny * nx;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    const base = c * plane;
    for (let y = 0; y < ny; y++) {
      const w = wy[y];
      if (w === 0) continue;
      const row = base + y * nx;
      let s = 0;
      for (let x = 0; x < nx; x++) s += wx[x] * map.data[row + x];
      sum += w * s;
    }
    out[c] = sum / total;
  }
  return out;
}

/** Per cell: the share of [i * stride, (i + 1) * stride) inside [from, to). */
function coverage(cells: number, stride: number, from: number, to: number): Float64Array {
  const w = new Float64Array(cells);
  for (let i = 0; i < cells; i++) {
    const lo = Math.max(i * stride, from);
    const hi = Math.min((i + 1) * stride, to);
    w[i] = hi > lo ? (hi - lo) / stride : 0;
  }
  return w;
}

/** Pure: the pooled vectors the spec reads, from the run's feature outputs. */
export function pooledFeatures(
  maps: readonly FeatureMap[],
  spec: Pick<FeatureSpec, "pooling">,
  area: PictureArea,
): Float32Array[] {
  return maps.map((m) => (spec.pooling === "picture" ? picturePool(m, area) : m.data));
}

/**
 * Pure: the second opinion's part of the fused vector: the classifier's pooled features, then
 * its log-probability of ImageNet's hotdog and of any food at all (what the classifier layer
 * concluded, which a head on 700 photos could not learn as well from the 1280 values alone).
 */
export function classifierVector(run: ClassifierRun): Float64Array {
  const probs = softmax(run.logits);
  let food = 0;
  for (const id of IMAGENET_FOODS.keys()) food += probs[id];
  const out = new Float64Array(run.pooled.length + 2);
  out.set(run.pooled);
  out[run.pooled.length] = Math.log(Math.max(probs[IMAGENET_HOTDOG], SCORE_FLOOR));
  out[run.pooled.length + 1] = Math.log(Math.max(food, SCORE_FLOOR));
  return out;
}

/** The fused head's input: the detector's vector, then the classifier's. */
export function fusedVector(detector: Float64Array, classifier: Float64Array): Float64Array {
  const out = new Float64Array(detector.length + classifier.length);
  out.set(detector);
  out.set(classifier, detector.length);
  return out;
}

/**
 * Pure: the feature vector from the pooled outputs (in the prepared model's featureOutputs
 * order) and postprocess's classMax.
 */
export function featureVector(
  pooled: readonly ArrayLike<number>[],
  classMax: ArrayLike<number>,
  spec: FeatureSpec,
): Float64Array {
  let length = 0;
  for (const p of pooled) length += p.length;
  const scores = spec.scores === "logClassMax" ? classMax.length : 0;
  const out = new Float64Array(length + scores);
  let o = 0;
  for (const p of pooled) {
    for (let j = 0; j < p.length; j++) out[o++] = p[j];
  }
  for (let c = 0; c < scores; c++) out[o++] = Math.log(Math.max(classMax[c], SCORE_FLOOR));
  return out;
}

/** COCO's food classes. The head only judges photos where the detector sees some food. */
export const FOOD_LABELS = [
  "banana",
  "apple",
  "sandwich",
  "orange",
  "broccoli",
  "carrot",
  "hot dog",
  "pizza",
  "donut",
  "cake",
] as const;

/** The ids of the food classes this detector has. */
export function foodClassIds(classNames: readonly string[]): number[] {
  return FOOD_LABELS.map((l) => classNames.indexOf(l)).filter((i) => i >= 0);
}

/** Pure: COCO's strongest food evidence, the highest classMax among the food classes (0-1). */
export function foodScore(classMax: ArrayLike<number>, foodClasses: readonly number[]): number {
  let best = 0;
  for (const c of foodClasses) if (classMax[c] > best) best = classMax[c];
  return best;
}
