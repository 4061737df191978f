/** The one module that talks to onnxruntime-web: a WASM session that runs one call at a time. */
import { Worker as NodeWorker } from "node:worker_threads";
import * as ort from "onnxruntime-web";
import type { PreparedModel } from "./model_prepare.ts";

export interface SessionOptions {
  /** WASM threads for this session (1 = no worker threads; the pool scales out instead). */
  threads?: number;
  /** ORT graph optimisation level. */
  optimization?: "disabled" | "basic" | "extended" | "all";
}

export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface ModelSession {
  /** Runs the graph on a [batch, 3, height, width] float tensor; serialised per session. */
  run(input: Float32Array, dims: readonly number[]): Promise<Map<string, OutputTensor>>;
  release(): Promise<void>;
}

// Captured as this module loads, before any session (or a test's stand-in) can replace it.
const DENO_WORKER = globalThis.Worker;

// onnxruntime-web keeps one `env` per isolate, read when its WASM first loads: the first
// session's thread count is the isolate's. A later session asking for another must not be
// served silently with the first one's (each worker is its own isolate, so the pool is free).
let configuredThreads: number | undefined;
function configure(threads: number): void {
  if (configuredThreads === threads) return;
  if (configuredThreads !== undefined) {
    throw new Error(
      `Cannot create a session with ${threads} WASM thread(s): this isolate's onnxruntime ` +
        `already runs ${configuredThreads} (one setting per isolate; use one worker per setting)`,
    );
  }
  configuredThreads = threads;
  ort.env.wasm.numThreads = threads;
  // The proxy worker would add a hop per call; our pool already runs sessions off-thread.
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
}

export async function createSession(
  model: Pick<PreparedModel, "bytes" | "inputName">,
  options: SessionOptions = {},
): Promise<ModelSession> {
  configure(options.threads ?? 1);
  // onnxruntime-web's Emscripten glue sees Deno's `process.versions.node` and, as it loads,
  // sets globalThis.Worker to node:worker_threads' Worker, so any Worker this isolate starts
  // afterwards has no `self` (the bench died of that). Single-threaded it spawns no threads of
  // its own, so Deno's Worker goes back; with threads its pthreads need the replacement.
  const session = await ort.InferenceSession.create(model.bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: options.optimization ?? "all",
    enableMemPattern: true,
    enableCpuMemArena: true,
    executionMode: "sequential",
  });
  if (ort.env.wasm.numThreads === 1 && (globalThis.Worker as unknown) === NodeWorker) {
    globalThis.Worker = DENO_WORKER;
  }
  const outputNames = session.outputNames;
  let chain: Promise<unknown> = Promise.resolve();

  const runOnce = async (input: Float32Array, dims: readonly number[]) => {
    const tensor = new ort.Tensor("float32", input, dims as number[]);
    const results = await session.run({ [model.inputName]: tensor });
    const out = new Map<string, OutputTensor>();
    for (const name of outputNames) {
      const t = results[name];
      out.set(name, { data: t.data as Float32Array, dims: t.dims });
    }
    tensor.dispose();
    return out;
  };

  return {
    run(input, dims) {
      // A WASM session must never be entered twice at once: queue behind the previous call.
      const result = chain.then(() => runOnce(input, dims));
      chain = result.catch(() => {});
      return result;
    },
    release: () => session.release(),
  };
}
