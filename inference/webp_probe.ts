/** Reads a WebP's RIFF chunks and bitstream header (never its pixels) and refuses what must not be decoded. */

import { AppError } from "./errors.ts";
import { checkImageSize, type SizeLimits } from "./_image_limits.ts";

/** What the headers say about a still WebP that the decoder may safely be given. */
export interface WebpInfo {
  width: number;
  height: number;
  /** VP8 (lossy) or VP8L (lossless); a VP8X file is described by its image chunk. */
  codec: "VP8" | "VP8L";
  /** Whether the file has an extended (VP8X) header. */
  extended: boolean;
}

const fail = (message: string): AppError =>
  new AppError("corrupt_image", `Cannot decode WebP: ${message}`);

const ascii = (b: Uint8Array, p: number, text: string): boolean =>
  [...text].every((c, i) => b[p + i] === c.charCodeAt(0));
const u16 = (b: Uint8Array, p: number): number => b[p] | (b[p + 1] << 8);
const u24 = (b: Uint8Array, p: number): number => b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
const u32 = (b: Uint8Array, p: number): number => (u24(b, p) | (b[p + 3] << 24)) >>> 0;
const fourcc = (b: Uint8Array, p: number): string => String.fromCharCode(...b.subarray(p, p + 4));

/**
 * Checks the RIFF container, then the size in the VP8X canvas (if any) and in the VP8 / VP8L
 * frame header against the limits: a header claiming 16383x16383 is refused without a decode.
 * Animated WebP (VP8X animation flag, ANIM/ANMF chunks) is refused: the still decoder cannot
 * decode it, and choosing a frame for the client would hide that the answer is about one frame.
 */
export function probeWebp(bytes: Uint8Array, limits: SizeLimits = {}): WebpInfo {
  const n = bytes.length;
  if (n < 12 || !ascii(bytes, 0, "RIFF") || !ascii(bytes, 8, "WEBP")) {
    throw fail("no RIFF/WEBP header");
  }
  const riffEnd = 8 + u32(bytes, 4);
  if (riffEnd > n) {
    throw fail(`the RIFF header declares ${riffEnd} bytes but the file has ${n} (truncated?)`);
  }
  let extended = false;
  for (let pos = 12;;) {
    if (pos + 8 > riffEnd) throw fail("no VP8 or VP8L image chunk");
    const name = fourcc(bytes, pos);
    const size = u32(bytes, pos + 4);
    const data = pos + 8;
    if (data + size > riffEnd) {
      throw fail(
        `chunk ${JSON.stringify(name)} at offset ${pos} declares ${size} bytes, past the end`,
      );
    }
    if (name === "VP8X") {
      if (pos !== 12 || size < 10) throw fail("a misplaced or short VP8X chunk");
      if (bytes[data] & 0x02) throw animatedError();
      extended = true;
      // The canvas is what the decoder allocates; check it before trusting the frame header.
      checkImageSize(
        "WebP",
        { width: u24(bytes, data + 4) + 1, height: u24(bytes, data + 7) + 1 },
        limits,
      );
    } else if (name === "ANIM" || name === "ANMF") {
      throw animatedError();
    } else if (name === "VP8 ") {
      return { ...vp8Size(bytes, data, size, limits), codec: "VP8", extended };
    } else if (name === "VP8L") {
      return { ...vp8lSize(bytes, data, size, limits), codec: "VP8L", extended };
    }
    // ICCP, ALPH, EXIF, XMP and unknown chunks: the decoder reads or skips them.
    pos = data + size + (size & 1);
  }
}

function animatedError(): AppError {
  return new AppError(
    "unsupported_image",
    "Cannot decode WebP: animated WebP is not supported; send one frame as a still image",
  );
}

/** RFC 6386 section 9.1: a key frame's 10-byte header carries the size in 14 bits per side. */
function vp8Size(b: Uint8Array, p: number, size: number, limits: SizeLimits) {
  if (size < 10) throw fail(`a VP8 chunk of ${size} bytes is shorter than its frame header`);
  if (b[p] & 1) throw fail("the VP8 frame is not a key frame");
  if (b[p + 3] !== 0x9d || b[p + 4] !== 0x01 || b[p + 5] !== 0x2a) {
    throw fail("no VP8 start code");
  }
  const width = u16(b, p + 6) & 0x3fff;
  const height = u16(b, p + 8) & 0x3fff;
  checkImageSize("WebP", { width, height }, limits);
  return { width, height };
}

/** The lossless bitstream's 5-byte header: signature 0x2F, then 14-bit width-1 and height-1. */
function vp8lSize(b: Uint8Array, p: number, size: number, limits: SizeLimits) {
  if (size < 5 || b[p] !== 0x2f) throw fail("no VP8L signature");
  const bits = u32(b, p + 1);
  const width = (bits & 0x3fff) + 1;
  const height = ((bits >>> 14) & 0x3fff) + 1;
  if (bits >>> 29 !== 0) throw fail(`VP8L version ${bits >>> 29} is not 0`);
  checkImageSize("WebP", { width, height }, limits);
  return { width, height };
}
