/** Does a batch larger than one pay on CPU WASM? Model-only time per run and per image. */
import { prepareModel } from "../../inference/model_prepare.ts";
import { createSession } from "../../inference/session.ts";
import { median, round } from "./_stats.ts";

export interface BatchRow {
  batch: number;
  msPerRun: number;
  msPerImage: number;
}

export async function benchBatch(
  modelPath: string,
  options: { size: number; batches: readonly number[]; runs: number },
): Promise<BatchRow[]> {
  const prepared = prepareModel(await Deno.readFile(modelPath));
  const session = await createSession(prepared, { threads: 1 });
  const rows: BatchRow[] = [];
  const { size } = options;
  for (const batch of options.batches) {
    const input = new Float32Array(batch * 3 * size * size).map((_, i) => (i % 255) / 255);
    const dims = [batch, 3, size, size];
    for (let i = 0; i < 3; i++) await session.run(input, dims);
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t = performance.now();
      await session.run(input, dims);
      times.push(performance.now() - t);
    }
    const m = median(times);
    rows.push({ batch, msPerRun: round(m, 1), msPerImage: round(m / batch, 1) });
  }
  await session.release();
  return rows;
}
