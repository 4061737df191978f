/** A typical camera snapshot: a real photo resized to 320 on its long side, JPEG quality 70. */
import encode from "@jsquash/jpeg/encode.js";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";
import { letterbox, type RgbaImage } from "../../inference/letterbox.ts";

export interface SnapshotOptions {
  /** Centre-crop to this width / height first (16 / 9 for a camera frame); default: no crop. */
  aspect?: number;
  /** JPEG quality (default 70). */
  quality?: number;
}

/** Resizes bilinearly (through letterbox with no padding) and re-encodes, as the page does. */
export async function snapshotJpeg(
  path: string,
  longSide = 320,
  options: SnapshotOptions = {},
): Promise<Uint8Array> {
  return await encodeJpeg(await snapshotRgba(path, longSide, options), options.quality ?? 70);
}

/** The snapshot's pixels before encoding. */
export async function snapshotRgba(
  path: string,
  longSide = 320,
  options: Pick<SnapshotOptions, "aspect"> = {},
): Promise<RgbaImage> {
  const img = crop(await decodeJpeg(await Deno.readFile(path)), options.aspect);
  const scale = longSide / Math.max(img.width, img.height);
  const width = Math.round(img.width * scale);
  const height = Math.round(img.height * scale);
  const { tensor } = letterbox(img, { width, height });
  const rgba = new Uint8ClampedArray(width * height * 4);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    rgba[i * 4] = tensor[i] * 255;
    rgba[i * 4 + 1] = tensor[i + plane] * 255;
    rgba[i * 4 + 2] = tensor[i + 2 * plane] * 255;
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, data: rgba };
}

export async function encodeJpeg(image: RgbaImage, quality: number): Promise<Uint8Array> {
  const data = new Uint8ClampedArray(image.data);
  const out = await encode(
    { width: image.width, height: image.height, data, colorSpace: "srgb" } as ImageData,
    // Baseline, as a browser's canvas.toBlob() writes (mozjpeg defaults to progressive), and
    // as Chromium's fake camera needs for its MJPEG frames.
    { quality, progressive: false },
  );
  return new Uint8Array(out);
}

/** The centred crop of `aspect` (width / height), or the image itself. */
function crop(img: RgbaImage, aspect?: number): RgbaImage {
  if (!aspect) return img;
  const width = Math.min(img.width, Math.round(img.height * aspect));
  const height = Math.min(img.height, Math.round(img.width / aspect));
  const x0 = (img.width - width) >> 1;
  const y0 = (img.height - height) >> 1;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * img.width + x0) * 4;
    data.set(img.data.subarray(from, from + width * 4), y * width * 4);
  }
  return { width, height, data };
}
