/** Decodes a PNG to RGBA with the Rust png crate (WASM, @jsquash/png), only after the probe has vetted it. */

import { exportedMemory, WasmCodec } from "./_wasm_codec.ts";
import type { RgbaImage } from "./orientation.ts";

/** The wasm-bindgen exports of squoosh's PNG codec that decoding uses. */
interface PngExports {
  decode(ptr: number, len: number): number;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
}

/**
 * @jsquash/png's own glue keeps one instance per process for good, so a failed or grown
 * instance could never be dropped. This is the same wasm-bindgen ABI, one object table per
 * instance; imports are matched by name without their hash suffix.
 */
async function instantiatePng(module: WebAssembly.Module) {
  // wasm-bindgen's object table: indices below 132 are reserved (128-131: undefined, null,
  // true, false), the rest a free list.
  const table: unknown[] = [...new Array(128).fill(undefined), undefined, null, true, false];
  let free = table.length;
  const add = (value: unknown): number => {
    if (free === table.length) table.push(table.length + 1);
    const index = free;
    free = table[index] as number;
    table[index] = value;
    return index;
  };
  const take = (index: number): unknown => {
    const value = table[index];
    if (index >= 132) {
      table[index] = free;
      free = index;
    }
    return value;
  };
  // Set once instantiated; the imports are only called from inside the instance.
  const live = {} as { exports: PngExports; memory: WebAssembly.Memory };
  const bindings: Record<string, (...args: number[]) => unknown> = {
    __wbindgen_memory: () => add(live.memory),
    __wbg_buffer: (i) => add((table[i] as WebAssembly.Memory).buffer),
    __wbg_newwithbyteoffsetandlength: (i, offset, length) =>
      add(new Uint16Array(table[i] as ArrayBuffer, offset >>> 0, length >>> 0)),
    __wbindgen_object_drop_ref: (i) => void take(i),
    __wbg_newwithownedu8clampedarrayandsh: (ptr, len, width, height) => {
      const data = new Uint8ClampedArray(live.memory.buffer, ptr >>> 0, len >>> 0).slice();
      live.exports.__wbindgen_free(ptr, len, 1);
      return add({ data, width: width >>> 0, height: height >>> 0 });
    },
    __wbindgen_throw: (ptr, len) => {
      throw new Error(
        new TextDecoder().decode(new Uint8Array(live.memory.buffer, ptr >>> 0, len >>> 0)),
      );
    },
  };
  const wbg: WebAssembly.ModuleImports = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    const binding = bindings[name.replace(/_[0-9a-f]{16}$/, "")];
    if (from !== "wbg" || !binding) throw new Error(`unknown import ${from}.${name}`);
    wbg[name] = binding;
  }
  const instance = await WebAssembly.instantiate(module, { wbg });
  live.exports = instance.exports as unknown as PngExports;
  live.memory = exportedMemory(instance);
  const { exports, memory } = live;
  return {
    memory,
    decode(bytes: Uint8Array): RgbaImage | null {
      const ptr = exports.__wbindgen_malloc(bytes.length, 1);
      new Uint8Array(memory.buffer).set(bytes, ptr);
      return take(exports.decode(ptr, bytes.length)) as RgbaImage | null;
    },
  };
}

/**
 * The PNG decoder: 8-bit RGBA out for every colour type and bit depth (16-bit samples are
 * reduced to 8, palettes and grey expanded); an APNG gives its default image, the first frame.
 */
export const pngCodec = new WasmCodec({
  format: "PNG",
  wasmUrl: new URL(import.meta.resolve("@jsquash/png/codec/pkg/squoosh_png_bg.wasm")),
  instantiate: instantiatePng,
});
