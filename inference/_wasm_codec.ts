/** One WASM image decoder instance at a time, serialised, replaced after a failure or a big image. */

import { AppError } from "./errors.ts";
import type { RgbaImage } from "./orientation.ts";

/** Counters for health checks and tests. */
export interface CodecStats {
  /** Images handed to the WASM decoder. */
  calls: number;
  /** Of those, how many it failed. */
  failures: number;
  /** Instances thrown away to give their memory back. */
  resets: number;
  /** Linear memory of the live instance (0 when none). */
  heapBytes: number;
}

/** A live decoder: its decode call and the linear memory it grows. */
export interface CodecInstance {
  decode(bytes: Uint8Array): RgbaImage | null;
  memory: WebAssembly.Memory;
}

export interface CodecOptions {
  /** For messages: "PNG", "WebP". */
  format: string;
  /** The .wasm file's URL. */
  wasmUrl: URL;
  /** A fresh instance of the compiled module. */
  instantiate(module: WebAssembly.Module): Promise<CodecInstance>;
}

/**
 * WASM memory never shrinks, so after an image that grew it past this the instance is dropped
 * and the next call instantiates a fresh one from the compiled module (well under 1 ms), as the
 * JPEG decoder does.
 */
const MAX_IDLE_HEAP_BYTES = 64 * 1024 * 1024;

/** A decoder that runs one call at a time on one instance, which it replaces when it must. */
export class WasmCodec {
  readonly #options: CodecOptions;
  #compiled: Promise<WebAssembly.Module> | undefined;
  #live: CodecInstance | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #stats = { calls: 0, failures: 0, resets: 0 };

  constructor(options: CodecOptions) {
    this.#options = options;
  }

  get stats(): CodecStats {
    return { ...this.#stats, heapBytes: this.#live?.memory.buffer.byteLength ?? 0 };
  }

  /** Compiles and instantiates now, so the first request does not pay for it. */
  warm(): Promise<void> {
    return this.#serialised(async () => {
      this.#live ??= await this.#instantiate();
    });
  }

  /** Decodes to RGBA; every failure is an AppError naming the format. */
  decode(bytes: Uint8Array): Promise<RgbaImage> {
    return this.#serialised(() => this.#run(bytes));
  }

  #serialised<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #run(bytes: Uint8Array): Promise<RgbaImage> {
    const format = this.#options.format;
    const decoder = this.#live ?? (this.#live = await this.#instantiate());
    this.#stats.calls++;
    let image: RgbaImage | null;
    try {
      image = decoder.decode(bytes);
    } catch (err) {
      // A throw or trap leaves the instance's allocations (and its stack) where they were.
      this.#discard();
      this.#stats.failures++;
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError("corrupt_image", `Cannot decode ${format}: ${why}`, { cause: err });
    }
    if (decoder.memory.buffer.byteLength > MAX_IDLE_HEAP_BYTES) this.#discard();
    if (!image) {
      this.#stats.failures++;
      throw new AppError("corrupt_image", `Cannot decode ${format}: the decoder returned no image`);
    }
    return image;
  }

  #discard(): void {
    if (!this.#live) return;
    this.#live = undefined;
    this.#stats.resets++;
  }

  async #instantiate(): Promise<CodecInstance> {
    try {
      return await this.#options.instantiate(await (this.#compiled ??= this.#compile()));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError(
        "decode_failed",
        `Cannot load the ${this.#options.format} decoder: ${why}`,
        {
          cause: err,
        },
      );
    }
  }

  #compile(): Promise<WebAssembly.Module> {
    const promise = WebAssembly.compileStreaming(fetch(this.#options.wasmUrl));
    // A failed compile (e.g. no read permission) must not be cached for the life of the process.
    promise.catch(() => this.#compiled = undefined);
    return promise;
  }
}

/** The memory an instance exports (emscripten and wasm-bindgen both export one). */
export function exportedMemory(instance: WebAssembly.Instance): WebAssembly.Memory {
  const memory = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
  if (!memory) throw new Error("the module exports no memory");
  return memory as WebAssembly.Memory;
}
