/** Sniffs an upload's format by its magic bytes and runs that format's header probe: JPEG, PNG or WebP. */

import { AppError } from "./errors.ts";
import { probeJpeg } from "./jpeg_probe.ts";
import { PNG_SIGNATURE, probePng } from "./png_probe.ts";
import { probeWebp } from "./webp_probe.ts";
import type { SizeLimits } from "./_image_limits.ts";
import type { Orientation } from "./orientation.ts";

export type ImageFormat = "jpeg" | "png" | "webp";

/** What every stage after decoding needs to know about an accepted image. */
export interface ImageInfo {
  format: ImageFormat;
  /** Stored size, before EXIF orientation. */
  width: number;
  height: number;
  /** Scans a decoder walks: a progressive JPEG's count, 1 otherwise (the cost of admission). */
  scans: number;
  /** EXIF orientation; 1 for PNG and WebP, whose orientation metadata is not read. */
  orientation: Orientation;
  /** Size as a person sees it. */
  orientedWidth: number;
  orientedHeight: number;
}

/** The format the first bytes announce, or undefined for anything else. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return "png";
  const ascii = (p: number, t: string) => [...t].every((c, i) => bytes[p + i] === c.charCodeAt(0));
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "webp";
  return undefined;
}

/**
 * Probes the headers of a JPEG, PNG or WebP against the same pixel and side limits and throws an
 * AppError for anything the decoders must not be given. Costs microseconds whatever the size.
 */
export function probeImage(bytes: Uint8Array, limits: SizeLimits = {}): ImageInfo {
  if (bytes.length === 0) {
    throw new AppError("empty_input", "Cannot decode image: input is 0 bytes");
  }
  const format = sniffFormat(bytes);
  if (format === "png" || format === "webp") {
    const { width, height } = format === "png" ? probePng(bytes, limits) : probeWebp(bytes, limits);
    return {
      format,
      width,
      height,
      scans: 1,
      orientation: 1,
      orientedWidth: width,
      orientedHeight: height,
    };
  }
  try {
    const info = probeJpeg(bytes, limits);
    return { ...info, format: "jpeg" };
  } catch (err) {
    // The JPEG probe names what the bytes look like; here the choice is wider than JPEG.
    if (err instanceof AppError && err.code === "not_jpeg") {
      throw new AppError(
        "not_image",
        err.message.replace(/not a JPEG$/, "not a JPEG, PNG or WebP"),
      );
    }
    throw err;
  }
}
