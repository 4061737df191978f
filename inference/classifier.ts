/** The ImageNet classifier's run: a square crop of the decoded pixels, normalised, then the model. */
import type { PreparedClassifier } from "./classifier_prepare.ts";
import { letterbox, type RgbaImage } from "./letterbox.ts";
import type { OrientationMap } from "./orientation.ts";
import { createSession, type ModelSession } from "./session.ts";

/** ImageNet's per-channel mean and standard deviation on the 0-1 scale (torchvision's). */
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

/**
 * What each 8-bit level becomes in each plane, normalised as the head was trained: the level
 * on the 0-1 scale as a float32 (the letterbox's value), then (v - mean) / std, bit for bit as
 * normalising the letterbox's tensor afterwards gave, in the resize's own pass.
 */
const LEVELS = [0, 1, 2].map((c) =>
  Float32Array.from(
    { length: 256 },
    (_, k) => (Math.fround(k * (1 / 255)) - MEAN[c]) * (1 / STD[c]),
  )
) as unknown as readonly [Float32Array, Float32Array, Float32Array];

/** The side of the centred square the classifier sees, as a share of the photo's shorter side. */
export const CROP_FRACTION = 0.875;

export interface ClassifierRun {
  /** The pooled features before the classifier layer (1280 for MobileNetV2). */
  pooled: Float32Array;
  /** ImageNet logits (1000). */
  logits: Float32Array;
}

/** Where a photo is, as the letterbox takes it: stored pixels, orientation map, seen size. */
export interface OrientedImage {
  image: RgbaImage;
  map: OrientationMap;
  width: number;
  height: number;
}

/**
 * Pure: the classifier's input tensor. A square of CROP_FRACTION of the shorter side, centred on
 * `at` (a point in the oriented photo, e.g. where COCO sees the hot dog; moved inside the photo)
 * or on the photo's centre, is resized bilinearly by the letterbox code, sampled straight from
 * the stored pixels through the orientation map shifted to the crop's corner (no rotation or
 * crop copy), and normalised in the same pass. Writes into `out` when given (3 * size * size).
 */
export function classifierTensor(
  photo: OrientedImage,
  size: number,
  crop = CROP_FRACTION,
  at: { x: number; y: number } | null = null,
  out?: Float32Array,
): Float32Array {
  const side = Math.max(1, Math.round(Math.min(photo.width, photo.height) * crop));
  const { x0, y0 } = at
    ? {
      x0: Math.round(Math.min(Math.max(at.x - side / 2, 0), photo.width - side)),
      y0: Math.round(Math.min(Math.max(at.y - side / 2, 0), photo.height - side)),
    }
    : { x0: Math.floor((photo.width - side) / 2), y0: Math.floor((photo.height - side) / 2) };
  const m = photo.map;
  const map: OrientationMap = {
    ...m,
    cx: m.cx + m.ax * x0 + m.bx * y0,
    cy: m.cy + m.ay * x0 + m.by * y0,
  };
  const { tensor } = letterbox(photo.image, {
    width: size,
    height: size,
    map,
    orientedWidth: side,
    orientedHeight: side,
    levels: LEVELS,
    out,
  });
  return tensor;
}

/** One warmed classifier session. */
export class Classifier {
  readonly model: PreparedClassifier;
  #session: ModelSession;
  /** The input buffer between calls (null while a call has it: a concurrent one allocates). */
  #spare: Float32Array | null = null;

  private constructor(model: PreparedClassifier, session: ModelSession) {
    this.model = model;
    this.#session = session;
  }

  /** Compiles the session and runs it once, so no request pays for that. */
  static async create(
    model: PreparedClassifier,
    options: { threads?: number } = {},
  ): Promise<Classifier> {
    const c = new Classifier(model, await createSession(model, { threads: options.threads }));
    await c.run(new Float32Array(3 * model.inputSize * model.inputSize));
    return c;
  }

  /** Runs on the crop centred on `at` (oriented pixels), else on the photo's centre. */
  async classify(
    photo: OrientedImage,
    at: { x: number; y: number } | null = null,
  ): Promise<ClassifierRun> {
    const spare = this.#spare ?? undefined;
    this.#spare = null;
    const tensor = classifierTensor(photo, this.model.inputSize, CROP_FRACTION, at, spare);
    try {
      return await this.run(tensor);
    } finally {
      // The session copies its input into WASM memory: once run, the buffer is free again.
      this.#spare = tensor;
    }
  }

  async run(tensor: Float32Array): Promise<ClassifierRun> {
    const s = this.model.inputSize;
    const out = await this.#session.run(tensor, [1, 3, s, s]);
    return {
      pooled: out.get(this.model.pooledOutput)!.data,
      logits: out.get(this.model.logitsOutput)!.data,
    };
  }

  close(): Promise<void> {
    return this.#session.release();
  }
}
