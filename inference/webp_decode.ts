/** Decodes a still WebP to RGBA with libwebp (WASM, @jsquash/webp), only after the probe has vetted it. */

import factory from "@jsquash/webp/codec/dec/webp_dec.js";
import { type CodecInstance, exportedMemory, WasmCodec } from "./_wasm_codec.ts";
import type { RgbaImage } from "./orientation.ts";

/** A fresh emscripten instance of libwebp's decoder on the compiled module. */
async function instantiateWebp(module: WebAssembly.Module): Promise<CodecInstance> {
  let memory: WebAssembly.Memory | undefined;
  const webp = await factory(
    {
      noInitialRun: true,
      print: () => {},
      printErr: () => {},
      instantiateWasm(
        imports: WebAssembly.Imports,
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        const instance = new WebAssembly.Instance(module, imports);
        memory = exportedMemory(instance);
        receive(instance, module);
        return instance.exports;
      },
    } as unknown as Parameters<typeof factory>[0],
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
