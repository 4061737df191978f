/** Decodes a still WebP to RGBA with libwebp (WASM, @jsquash/webp), only after the probe has vetted it. */

import factory from "@jsquash/webp/codec/dec/webp_dec.js";
import { onModule } from "./_emscripten.ts";
import { type CodecInstance, exportedMemory, WasmCodec } from "./_wasm_codec.ts";
import type { RgbaImage } from "./orientation.ts";

/** A fresh emscripten instance of libwebp's decoder on the compiled module. */
async function instantiateWebp(module: WebAssembly.Module): Promise<CodecInstance> {
  let memory: WebAssembly.Memory | undefined;
  const webp = await factory(
    onModule(module, { onInstance: (i) => memory = exportedMemory(i) }) as Parameters<
      typeof factory
    >[0],
  ) as unknown as { decode(data: Uint8Array): RgbaImage | null };
  if (!memory) throw new Error("the module was not instantiated");
  return { memory, decode: (bytes) => webp.decode(bytes) };
}

/** The WebP decoder: lossy and lossless, alpha kept in the RGBA (the detector ignores it). */
export const webpCodec = new WasmCodec({
  format: "WebP",
  wasmUrl: new URL(import.meta.resolve("@jsquash/webp/codec/dec/webp_dec.wasm")),
  instantiate: instantiateWebp,
});
