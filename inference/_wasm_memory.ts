/** Tracks the WebAssembly memories ORT instantiates in this isolate, so metrics can report them. */

// Weak: a runtime that replaces its instance must not be kept alive by our bookkeeping.
const memories = new Set<WeakRef<WebAssembly.Memory>>();

function collect(instance: WebAssembly.Instance, imports?: WebAssembly.Imports): void {
  const found: unknown[] = [...Object.values(instance.exports)];
  // Threaded builds import their memory instead of exporting it.
  for (const mod of Object.values(imports ?? {})) found.push(...Object.values(mod));
  for (const value of found) {
    if (value instanceof WebAssembly.Memory) memories.add(new WeakRef(value));
  }
}

type Instantiated = WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;

let installed = false;
/**
 * Wraps WebAssembly.instantiate* once, before ORT loads. The library gives no handle on its
 * memory, and WASM memory never shrinks, so its size is the number worth watching. (The JPEG
 * decoder reports its own heap through `jpegDecoderStats()`.)
 */
export function trackWasmMemory(): void {
  if (installed) return;
  installed = true;
  const wasm = WebAssembly as unknown as {
    instantiate: (source: unknown, imports?: WebAssembly.Imports) => Promise<Instantiated>;
    instantiateStreaming?: (
      source: unknown,
      imports?: WebAssembly.Imports,
    ) => Promise<WebAssembly.WebAssemblyInstantiatedSource>;
  };
  const instantiate = wasm.instantiate.bind(WebAssembly);
  wasm.instantiate = async (source, imports) => {
    const result = await instantiate(source, imports);
    collect("instance" in result ? result.instance : result, imports);
    return result;
  };
  const streaming = wasm.instantiateStreaming?.bind(WebAssembly);
  if (streaming) {
    wasm.instantiateStreaming = async (source, imports) => {
      const result = await streaming(source, imports);
      collect(result.instance, imports);
      return result;
    };
  }
}

/** Bytes of linear memory across every live tracked WASM memory in this isolate. */
export function wasmMemoryBytes(): number {
  let total = 0;
  for (const ref of memories) {
    const m = ref.deref();
    if (m) total += m.buffer.byteLength;
    else memories.delete(ref);
  }
  return total;
}
