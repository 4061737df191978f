/** A typical camera snapshot: a real photo resized to 320 on its long side, JPEG quality 70. */
import encode from "@jsquash/jpeg/encode.js";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";
import { letterbox } from "../../inference/letterbox.ts";

/** Resizes bilinearly (through letterbox with no padding) and re-encodes, as the page does. */
export async function snapshotJpeg(path: string, longSide = 320): Promise<Uint8Array> {
  const img = await decodeJpeg(await Deno.readFile(path));
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
  const out = await encode({ width, height, data: rgba, colorSpace: "srgb" } as ImageData, {
    quality: 70,
  });
  return new Uint8Array(out);
}
