/** Reads a PNG's chunk headers up to the first IDAT (never its pixels) and refuses what must not be decoded. */

import { AppError } from "./errors.ts";
import { checkImageSize, type SizeLimits } from "./_image_limits.ts";

/** What the headers say about a PNG that the decoder may safely be given. */
export interface PngInfo {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
  /** An APNG (acTL chunk): only its default image, the first frame, is decoded. */
  animated: boolean;
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

// Allowed bit depths per colour type (PNG spec, table 11.1).
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const fail = (message: string): AppError =>
  new AppError("corrupt_image", `Cannot decode PNG: ${message}`);

const u32 = (b: Uint8Array, p: number): number =>
  ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
const type = (b: Uint8Array, p: number): string => String.fromCharCode(...b.subarray(p, p + 4));

/**
 * Checks the signature and IHDR against the limits, then walks the chunk headers (lengths
 * bounds-checked, CRCs left to the decoder) up to the first IDAT, so a 30000x30000 image in a
 * few hundred KB is refused in microseconds and a file with no image data never reaches the
 * decoder.
 */
export function probePng(bytes: Uint8Array, limits: SizeLimits = {}): PngInfo {
  const n = bytes.length;
  if (n < 8 || PNG_SIGNATURE.some((v, i) => bytes[i] !== v)) {
    throw fail("no PNG signature");
  }
  if (n < 33) throw fail(`truncated after ${n} bytes, inside the IHDR chunk`);
  if (u32(bytes, 8) !== 13 || type(bytes, 12) !== "IHDR") {
    throw fail("the first chunk is not a 13-byte IHDR");
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  if (!DEPTHS[colorType]?.includes(bitDepth)) {
    throw fail(`bit depth ${bitDepth} with colour type ${colorType} is not valid`);
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) {
    throw fail("unknown compression, filter or interlace method in IHDR");
  }
  if (width > 0x7fffffff || height > 0x7fffffff) {
    throw fail(`size ${width}x${height} is over the format's 2^31-1`);
  }
  checkImageSize("PNG", { width, height }, limits);

  let animated = false;
  let sawPalette = false;
  for (let pos = 33;;) {
    if (pos + 8 > n) throw fail(`no IDAT chunk (truncated after ${n} bytes?)`);
    const length = u32(bytes, pos);
    const name = type(bytes, pos + 4);
    if (length > 0x7fffffff || pos + 12 + length > n) {
      throw fail(`chunk ${name} at offset ${pos} declares ${length} bytes, past the end`);
    }
    if (name === "IDAT") break;
    if (name === "IEND") throw fail("IEND before any IDAT: the file has no image data");
    if (name === "acTL") animated = true;
    if (name === "PLTE") sawPalette = true;
    pos += 12 + length;
  }
  if (colorType === 3 && !sawPalette) throw fail("a palette image without a PLTE chunk");
  return { width, height, bitDepth, colorType, interlaced: bytes[28] === 1, animated };
}
