/** Camera-like JPEG snapshots made at start-up, so warm-up runs the path a request runs. */
import factory from "@jsquash/jpeg/codec/enc/mozjpeg_enc.js";
import { defaultOptions } from "@jsquash/jpeg/meta.js";
import { onModule } from "./_emscripten.ts";

export interface FrameSize {
  width: number;
  height: number;
}

/** What a browser's canvas.toBlob("image/jpeg") writes: baseline, 4:2:0, about quality 75. */
const BROWSER_LIKE = { ...defaultOptions, quality: 75, progressive: false, baseline: false };

interface MozjpegEncoder {
  encode(data: BufferSource, width: number, height: number, options: object): Uint8Array;
}

/**
 * One JPEG per size, to warm the probe, the decoder, letterbox, the model and postprocess on
 * real bytes: synthetic pixels cannot warm the decoder, and outputs no box passes leave the box
 * and NMS code to be compiled (and deoptimised into) by the first client. The encoder is
 * instantiated for this call and dropped after it, its memory with it; only the compiled code
 * stays.
 */
export async function warmFrames(sizes: readonly FrameSize[]): Promise<Uint8Array[]> {
  const wasm = await (compiled ??= compile());
  const encoder = await factory(
    onModule(wasm) as Parameters<typeof factory>[0],
  ) as unknown as MozjpegEncoder;
  return sizes.map(({ width, height }) =>
    // A copy: the encoder's view may point into its own memory.
    encoder.encode(scene(width, height), width, height, BROWSER_LIKE).slice()
  );
}

/**
 * A deterministic photo-like RGBA scene: a lit gradient, a few solid shapes with edges, and
 * sensor-like noise, so the encoder writes real AC coefficients and the model sees structure.
 */
export function scene(width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed >>> 16) & 0xff) / 255 - 0.5;
  };
  const shapes = [
    { cx: 0.3, cy: 0.55, rx: 0.18, ry: 0.3, rgb: [200, 60, 40] },
    { cx: 0.65, cy: 0.5, rx: 0.25, ry: 0.12, rgb: [230, 180, 90] },
    { cx: 0.55, cy: 0.25, rx: 0.1, ry: 0.1, rgb: [40, 90, 160] },
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      let rgb = [90 + 120 * v, 110 + 60 * u, 140 - 80 * v];
      for (const s of shapes) {
        const dx = (u - s.cx) / s.rx;
        const dy = (v - s.cy) / s.ry;
        if (dx * dx + dy * dy < 1) rgb = s.rgb.map((c) => c * (0.8 + 0.2 * (1 - dy)));
      }
      const o = (y * width + x) * 4;
      for (let k = 0; k < 3; k++) data[o + k] = rgb[k] + 24 * noise();
      data[o + 3] = 255;
    }
  }
  return data;
}

/**
 * Compiled once per isolate (the pool's snapshots and the request path's frame are encoded
 * concurrently on the main thread); a failed compile is not kept.
 */
let compiled: Promise<WebAssembly.Module> | undefined;
function compile(): Promise<WebAssembly.Module> {
  const glue = import.meta.resolve("@jsquash/jpeg/codec/enc/mozjpeg_enc.js");
  const promise = WebAssembly.compileStreaming(fetch(new URL("mozjpeg_enc.wasm", glue)));
  promise.catch(() => compiled = undefined);
  return promise;
}
