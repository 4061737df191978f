/** The pixel and side limits every image probe applies, worded with the format's name. */

import { AppError } from "./errors.ts";

export interface SizeLimits {
  /** Refuse images with more pixels than this (default 16_800_000, imgproxy's 16.8 MP). */
  maxPixels?: number;
  /** Refuse images with a side longer than this (default 8192). */
  maxSide?: number;
}

export const DEFAULT_MAX_PIXELS = 16_800_000;
export const DEFAULT_MAX_SIDE = 8192;

/** Throws 422 for an empty side and 413 over either limit, before any pixel is decoded. */
export function checkImageSize(
  format: string,
  size: { width: number; height: number },
  limits: SizeLimits = {},
): void {
  const { width, height } = size;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = limits.maxSide ?? DEFAULT_MAX_SIDE;
  if (width === 0 || height === 0) {
    throw new AppError("zero_dimensions", `Cannot decode ${format}: size is ${width}x${height}`);
  }
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new AppError(
      "too_many_pixels",
      `Cannot decode ${format}: ${width}x${height} is ${(pixels / 1e6).toFixed(1)} MP, over ` +
        `the ${(maxPixels / 1e6).toFixed(1)} MP limit`,
    );
  }
  if (width > maxSide || height > maxSide) {
    throw new AppError(
      "image_too_large",
      `Cannot decode ${format}: ${width}x${height} has a side over the ${maxSide} px limit`,
    );
  }
}
