/** Decodes an upload of any accepted format (JPEG, PNG, WebP) to RGBA after probing its headers. */

import { AppError } from "./errors.ts";
import { decodeProbedJpeg, warmJpegDecoder } from "./jpeg_decode.ts";
import { type ImageInfo, probeImage } from "./image_probe.ts";
import type { SizeLimits } from "./_image_limits.ts";
import { pngCodec } from "./png_decode.ts";
import { webpCodec } from "./webp_decode.ts";

/** A decoded image: RGBA pixels as stored, NOT rotated by the EXIF orientation in `info`. */
export interface DecodedImage {
  info: ImageInfo;
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, rows top to bottom; a copy the caller owns. */
  data: Uint8ClampedArray;
}

/**
 * Probes the headers (format by magic bytes; size against the limits), then decodes with that
 * format's decoder. Everything that goes wrong is an AppError.
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: SizeLimits = {},
): Promise<DecodedImage> {
  return await decodeProbedImage(bytes, probeImage(bytes, limits));
}

/**
 * Decodes an image whose headers the caller has already probed with `probeImage` (and the
 * limits): the route probes once, to charge for the image before it queues, and the worker
 * decodes with that probe instead of walking the headers again.
 */
export async function decodeProbedImage(
  bytes: Uint8Array,
  info: ImageInfo,
): Promise<DecodedImage> {
  if (info.format === "jpeg") {
    // probeImage() already walked the JPEG to EOI against the limits: decode without a re-walk.
    return { ...await decodeProbedJpeg(bytes, info), info };
  }
  const codec = info.format === "png" ? pngCodec : webpCodec;
  const image = await codec.decode(bytes);
  if (image.width !== info.width || image.height !== info.height) {
    throw new AppError(
      "corrupt_image",
      `Cannot decode ${info.format === "png" ? "PNG" : "WebP"}: the decoder returned ` +
        `${image.width}x${image.height}, but the headers say ${info.width}x${info.height}`,
    );
  }
  return { info, width: image.width, height: image.height, data: image.data };
}

/**
 * Compiles and instantiates the decoders now, so no first request pays for it. Readiness waits
 * for JPEG's, the common case; PNG's and WebP's compile alongside without holding it up (a
 * replaced worker must come back as fast as before), and a failure there shows on first use.
 */
export async function warmImageDecoders(): Promise<void> {
  for (const codec of [pngCodec, webpCodec]) codec.warm().catch(() => {});
  await warmJpegDecoder();
}
