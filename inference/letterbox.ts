/** Letterboxes an RGBA image into a normalised CHW float tensor, as Ultralytics' `letterbox` does. */
import type { OrientationMap } from "./orientation.ts";

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, row-major, as decoded (stored orientation). */
  data: Uint8Array | Uint8ClampedArray;
}

export interface LetterboxOptions {
  /** Target tensor size; both must be positive. */
  width: number;
  height: number;
  /**
   * Ultralytics' `auto` padding: shrink each padded side to the smallest multiple of this
   * stride that holds the scaled picture, so a 16:9 frame at 320 becomes 320x192, not 320x320.
   * The scale is still the target's. Default: no shrinking (the tensor is width x height).
   */
  stride?: number;
  /** Pad value on the 0-255 scale (Ultralytics uses 114). */
  pad?: number;
  /**
   * Maps the image as a person sees it to the stored pixels, so EXIF orientation costs no
   * rotation copy. `orientedWidth`/`orientedHeight` give the seen size. Default: identity.
   */
  map?: OrientationMap;
  orientedWidth?: number;
  orientedHeight?: number;
  /** Reuse this buffer (length 3 * width * height) instead of allocating. */
  out?: Float32Array;
  /**
   * What each 8-bit level (0-255) becomes in each of the three planes, pad included (a
   * normalisation done in the same pass). Default: level / 255.
   */
  levels?: readonly [Float32Array, Float32Array, Float32Array];
}

/** Where the image landed in the tensor: tensor = image * scale + pad, per axis. */
export interface LetterboxResult {
  tensor: Float32Array;
  width: number;
  height: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

const IDENTITY: OrientationMap = { ax: 1, bx: 0, cx: 0, ay: 0, by: 1, cy: 0 };

/** level / 255 as the tensor stores it, the same in every plane. */
const UNIT = Float32Array.from({ length: 256 }, (_, k) => k * (1 / 255));
const UNIT_LEVELS = [UNIT, UNIT, UNIT] as const;

/**
 * Resizes with OpenCV's INTER_LINEAR geometry (half-pixel centres, edge clamping), keeps the
 * aspect ratio, centres the image and pads with 114, then writes RGB planes scaled to 0-1.
 * Bilinear, never nearest: nearest-neighbour upscaling destroys detections on small photos.
 */
export function letterbox(image: RgbaImage, options: LetterboxOptions): LetterboxResult {
  let { width: tw, height: th } = options;
  const map = options.map ?? IDENTITY;
  const srcW = options.orientedWidth ?? image.width;
  const srcH = options.orientedHeight ?? image.height;
  if (srcW <= 0 || srcH <= 0) throw new RangeError(`Cannot letterbox: image is ${srcW}x${srcH}`);
  if (image.data.length < image.width * image.height * 4) {
    throw new RangeError(
      `Cannot letterbox: ${image.data.length} bytes for ${image.width}x${image.height} RGBA`,
    );
  }
  const r = Math.min(tw / srcW, th / srcH);
  // Python's round() is half-to-even; Ultralytics rounds the unpadded size and the pads with it.
  const newW = Math.max(1, pyRound(srcW * r));
  const newH = Math.max(1, pyRound(srcH * r));
  const stride = options.stride;
  if (stride !== undefined && !(Number.isInteger(stride) && stride > 0)) {
    throw new RangeError(`Cannot letterbox: stride ${stride} is not a positive integer`);
  }
  // Ultralytics: dw, dh = np.mod(dw, stride), np.mod(dh, stride) when auto.
  if (stride) {
    tw = newW + ((tw - newW) % stride);
    th = newH + ((th - newH) % stride);
  }
  const dw = (tw - newW) / 2;
  const dh = (th - newH) / 2;
  const left = pyRound(dw - 0.1);
  const top = pyRound(dh - 0.1);

  const plane = tw * th;
  const out = options.out ?? new Float32Array(3 * plane);
  if (out.length !== 3 * plane) {
    throw new RangeError(`Cannot letterbox: out has ${out.length} floats, need ${3 * plane}`);
  }
  const pad = options.pad ?? 114;
  const levels = options.levels;
  // A picture that covers the whole tensor (the classifier's crop) leaves no pad to write.
  if (newW < tw || newH < th) {
    if (levels) {
      for (let c = 0; c < 3; c++) out.fill(levels[c][pad], c * plane, (c + 1) * plane);
    } else out.fill(pad / 255);
  }

  // Per-column and per-row source taps and weights, computed once (no per-pixel allocation).
  const cols = taps(srcW, newW);
  const rows = taps(srcH, newH);
  // Affine index: storedIndex(x, y) = colOff[x] + rowOff[y], in bytes.
  const colStep = (map.ax + map.ay * image.width) * 4;
  const rowStep = (map.bx + map.by * image.width) * 4;
  const base = (map.cx + map.cy * image.width) * 4;
  const col0 = new Int32Array(newW);
  const col1 = new Int32Array(newW);
  // Each column's two weights as the loop uses them (1 - w exactly as it computed it in place).
  const colW0 = new Float64Array(newW);
  const colW1 = new Float64Array(newW);
  for (let x = 0; x < newW; x++) {
    col0[x] = cols.i0[x] * colStep;
    col1[x] = cols.i1[x] * colStep;
    colW1[x] = cols.w[x];
    colW0[x] = 1 - cols.w[x];
  }
  const data = image.data;
  const [l0, l1, l2] = levels ?? UNIT_LEVELS;
  if (newW === srcW && newH === srcH) {
    // Same size (the page sends snapshots at the input's long side): every weight is 0, a copy.
    for (let y = 0; y < newH; y++) {
      const r0 = base + y * rowStep;
      let o = (top + y) * tw + left;
      for (let x = 0; x < newW; x++, o++) {
        const a = r0 + col0[x];
        out[o] = l0[data[a]];
        out[o + plane] = l1[data[a + 1]];
        out[o + 2 * plane] = l2[data[a + 2]];
      }
    }
    return result();
  }
  for (let y = 0; y < newH; y++) {
    const r0 = base + rows.i0[y] * rowStep;
    const r1 = base + rows.i1[y] * rowStep;
    const wy = rows.w[y];
    const wy0 = 1 - wy;
    let o = (top + y) * tw + left;
    for (let x = 0; x < newW; x++, o++) {
      const wx = colW1[x];
      const wx0 = colW0[x];
      const a = r0 + col0[x];
      const b = r0 + col1[x];
      const c = r1 + col0[x];
      const d = r1 + col1[x];
      const w00 = wx0 * wy0, w01 = wx * wy0, w10 = wx0 * wy, w11 = wx * wy;
      // Round to 8 bits as OpenCV does for uint8 images, then scale.
      out[o] = l0[round(data[a] * w00 + data[b] * w01 + data[c] * w10 + data[d] * w11)];
      out[o + plane] =
        l1[round(data[a + 1] * w00 + data[b + 1] * w01 + data[c + 1] * w10 + data[d + 1] * w11)];
      out[o + 2 * plane] =
        l2[round(data[a + 2] * w00 + data[b + 2] * w01 + data[c + 2] * w10 + data[d + 2] * w11)];
    }
  }
  return result();

  function result(): LetterboxResult {
    return {
      tensor: out,
      width: tw,
      height: th,
      scaleX: newW / srcW,
      scaleY: newH / srcH,
      padX: left,
      padY: top,
    };
  }
}

/**
 * Math.round() for x >= 0, bit for bit, five times faster in this loop (measured: 224x224 in
 * 0.4 ms instead of 2 ms). (x + 0.5) | 0 alone is one too high for the one double below 0.5,
 * where x + 0.5 rounds up to 1; the comparison takes that back.
 */
function round(x: number): number {
  const r = (x + 0.5) | 0;
  return x < r - 0.5 ? r - 1 : r;
}

/** OpenCV INTER_LINEAR taps: src = (dst + 0.5) * scale - 0.5, clamped at both edges. */
function taps(src: number, dst: number) {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const scale = src / dst;
  for (let x = 0; x < dst; x++) {
    const f = (x + 0.5) * scale - 0.5;
    let s = Math.floor(f);
    let frac = f - s;
    if (s < 0) {
      s = 0;
      frac = 0;
    }
    if (s >= src - 1) {
      s = src - 1;
      frac = 0;
    }
    i0[x] = s;
    i1[x] = Math.min(s + 1, src - 1);
    w[x] = frac;
  }
  return { i0, i1, w };
}

/** Python 3's round(): halves go to the even neighbour. */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
