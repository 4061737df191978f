/** Starts inference with the worker module and mode given as arguments; prints the outcome. */
import { DEFAULTS } from "../../config.ts";
import { startInference } from "../../inference/service.ts";

const [workerPath, mode] = Deno.args;
const notes: string[] = [];
const inference = await startInference(DEFAULTS, {
  mode: mode as "auto" | "workers",
  workers: 1,
  jobTimeoutMs: 10_000,
  workerUrl: new URL(workerPath, import.meta.url),
  log: (m) => notes.push(m),
});
const outcome = await inference.warm.then(
  async () => {
    const result = await inference.detect(Deno.readFileSync("tests/data/images/bus.jpg"));
    return { mode: inference.mode, detections: result.detections.length };
  },
  (err) => ({ error: (err as Error).message }),
);
await inference.close();
console.log(JSON.stringify({ ...outcome, notes }));
