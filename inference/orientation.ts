/** EXIF orientation (1-8) as coordinate maps, so later stages can sample stored pixels in place. */

/**
 * The EXIF Orientation tag (0x0112): where the stored image's first row and first column belong
 * when a person looks at it. 1 normal, 2 mirror horizontal, 3 rotate 180, 4 mirror vertical,
 * 5 transpose, 6 rotate 90 CW to display, 7 transverse, 8 rotate 90 CCW (270 CW) to display.
 */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** An RGBA image, 4 bytes per pixel, rows top to bottom, no padding. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * An affine map from oriented coordinates (xo, yo) to stored coordinates (xs, ys):
 * `xs = ax*xo + bx*yo + cx`, `ys = ay*xo + by*yo + cy`. Every coefficient is an integer.
 */
export interface OrientationMap {
  ax: number;
  bx: number;
  cx: number;
  ay: number;
  by: number;
  cy: number;
}

/** True for the values EXIF defines; anything else must be read as 1. */
export function isOrientation(value: number): value is Orientation {
  return Number.isInteger(value) && value >= 1 && value <= 8;
}

/** The size a person sees: orientations 5-8 swap width and height. */
export function orientedSize(
  width: number,
  height: number,
  orientation: Orientation,
): { width: number; height: number } {
  return orientation >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * Maps a point of the oriented image (as a person sees it) to the stored image.
 *
 * Coordinates are pixel INDICES: the integer value i is the centre of pixel i, so integer inputs
 * give integer outputs and oriented pixel (0, 0) of orientation 3 is stored pixel (W-1, H-1).
 * Fractional indices map exactly too, which is what bilinear sampling needs. For edge-based
 * coordinates (pixel i spans [i, i+1)), subtract 0.5 before mapping and add 0.5 after.
 */
export function orientedToStored(
  orientation: Orientation,
  storedWidth: number,
  storedHeight: number,
): OrientationMap {
  const w1 = storedWidth - 1;
  const h1 = storedHeight - 1;
  switch (orientation) {
    case 1:
      return { ax: 1, bx: 0, cx: 0, ay: 0, by: 1, cy: 0 };
    case 2:
      return { ax: -1, bx: 0, cx: w1, ay: 0, by: 1, cy: 0 };
    case 3:
      return { ax: -1, bx: 0, cx: w1, ay: 0, by: -1, cy: h1 };
    case 4:
      return { ax: 1, bx: 0, cx: 0, ay: 0, by: -1, cy: h1 };
    case 5:
      return { ax: 0, bx: 1, cx: 0, ay: 1, by: 0, cy: 0 };
    case 6:
      return { ax: 0, bx: 1, cx: 0, ay: -1, by: 0, cy: h1 };
    case 7:
      return { ax: 0, bx: -1, cx: w1, ay: -1, by: 0, cy: h1 };
    case 8:
      return { ax: 0, bx: -1, cx: w1, ay: 1, by: 0, cy: 0 };
  }
}

/**
 * Physically rotates/flips an RGBA image into the orientation a person sees (a new buffer).
 * Written as the forward map (stored -> oriented), independently of `orientedToStored`, so tests
 * can use each as the other's oracle.
 */
export function orientImage(
  image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray },
  orientation: Orientation,
): RgbaImage {
  const { width: w, height: h } = image;
  if (image.data.length !== w * h * 4) {
    throw new RangeError(
      `Cannot orient image: ${w}x${h} needs ${w * h * 4} bytes, got ${image.data.length}`,
    );
  }
  const size = orientedSize(w, h, orientation);
  // Where stored pixel (xs, ys) lands: xo = [xs, ys, 1] . fx, yo = [xs, ys, 1] . fy.
  const [fx, fy] = FORWARD[orientation](w - 1, h - 1);
  // One 32-bit word per pixel; copy first if the caller's view is not 4-byte aligned.
  const aligned = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset, w * h);
  const out = new Uint8ClampedArray(w * h * 4);
  const dst = new Uint32Array(out.buffer);
  for (let ys = 0, i = 0; ys < h; ys++) {
    for (let xs = 0; xs < w; xs++, i++) {
      const xo = fx[0] * xs + fx[1] * ys + fx[2];
      const yo = fy[0] * xs + fy[1] * ys + fy[2];
      dst[yo * size.width + xo] = src[i];
    }
  }
  return { width: size.width, height: size.height, data: out };
}

type Row = readonly [number, number, number];

/** Stored -> oriented, per orientation, given the last stored column w1 and row h1. */
const FORWARD: Record<Orientation, (w1: number, h1: number) => readonly [Row, Row]> = {
  1: () => [[1, 0, 0], [0, 1, 0]],
  2: (w1) => [[-1, 0, w1], [0, 1, 0]],
  3: (w1, h1) => [[-1, 0, w1], [0, -1, h1]],
  4: (_, h1) => [[1, 0, 0], [0, -1, h1]],
  // 5-8: stored rows become oriented columns.
  5: () => [[0, 1, 0], [1, 0, 0]],
  6: (_, h1) => [[0, -1, h1], [1, 0, 0]],
  7: (w1, h1) => [[0, -1, h1], [-1, 0, w1]],
  8: (w1) => [[0, 1, 0], [-1, 0, w1]],
};
