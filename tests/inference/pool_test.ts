import assert from "node:assert/strict";
import type { DetectorPlan } from "../../inference/detector.ts";
import { WorkerPool } from "../../inference/pool.ts";

Deno.test("WorkerPool hands its workers the plan's model bytes shared, not a copy each", async () => {
  const plan = {
    info: {},
    model: { bytes: new Uint8Array([7, 1, 2]) },
    classifier: { bytes: new Uint8Array([7, 3]) },
  } as unknown as DetectorPlan;
  const pool = await WorkerPool.create(plan, {
    size: 2,
    jobTimeoutMs: 1000,
    workerUrl: new URL("./_shared_plan_worker.ts", import.meta.url),
  });
  try {
    assert.deepEqual(pool.stats.wasmBytes, [1, 1]);
  } finally {
    await pool.close();
  }
});
