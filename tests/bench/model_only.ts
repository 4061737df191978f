/** Model-only run time: onnxruntime-web (WASM, the service) against onnxruntime-node (native). */
// The native yardstick is benchmark-only: pinned here, not in deno.json, so the image never
// installs its 300 MB of binaries.
// deno-lint-ignore no-import-prefix
import * as ortNode from "npm:onnxruntime-node@1.30.0";
import { prepareModel } from "../../inference/model_prepare.ts";
import { createSession } from "../../inference/session.ts";
import { median, round } from "./_stats.ts";

export interface ModelOnlyRow {
  size: string;
  wasmMs: number;
  nativeMs: number;
  ratio: number;
}

/** The same prepared graph and input at each size; one thread each; medians of `runs`. */
export async function benchModelOnly(
  modelPath: string,
  options: { sizes: readonly number[]; runs: number },
): Promise<ModelOnlyRow[]> {
  const prepared = prepareModel(await Deno.readFile(modelPath));
  const wasm = await createSession(prepared, { threads: 1 });
  const native = await ortNode.InferenceSession.create(prepared.bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    executionMode: "sequential",
  });
  const rows: ModelOnlyRow[] = [];
  for (const size of options.sizes) {
    const input = new Float32Array(3 * size * size).map((_, i) => ((i * 2654435761) % 255) / 255);
    const dims = [1, 3, size, size];
    const tensor = new ortNode.Tensor("float32", input, dims);
    const wasmTimes: number[] = [];
    const nativeTimes: number[] = [];
    // Warm both (first runs allocate and tier up), then interleave so load noise hits both.
    for (let i = 0; i < 3; i++) {
      await wasm.run(input, dims);
      await native.run({ [prepared.inputName]: tensor });
    }
    for (let i = 0; i < options.runs; i++) {
      let t = performance.now();
      await wasm.run(input, dims);
      wasmTimes.push(performance.now() - t);
      t = performance.now();
      await native.run({ [prepared.inputName]: tensor });
      nativeTimes.push(performance.now() - t);
    }
    const w = median(wasmTimes);
    const n = median(nativeTimes);
    rows.push({
      size: `${size}x${size}`,
      wasmMs: round(w, 1),
      nativeMs: round(n, 1),
      ratio: round(w / n),
    });
  }
  await wasm.release();
  await native.release();
  return rows;
}

// The bench runs this file in its own process, so the native runtime never shares an isolate
// with the sections that start Workers.
if (import.meta.main) {
  const [modelPath, sizes, runs] = Deno.args;
  const rows = await benchModelOnly(modelPath, {
    sizes: sizes.split(",").map(Number),
    runs: Number(runs),
  });
  console.log(JSON.stringify(rows));
}
