/** Starts inference the way the platform allows: a warmed worker pool, or in-isolate as a fallback. */
import { Detector, type ModelInfo, modelInfo } from "./detector.ts";
import { AppError } from "./errors.ts";
import { type DetectorSettings, prepareDetector } from "./load_detector.ts";
import { type PoolStats, WorkerPool } from "./pool.ts";
import type { DetectOptions, DetectResult } from "./types.ts";
import { trackWasmMemory, wasmMemoryBytes } from "./_wasm_memory.ts";

export type InferenceMode = "auto" | "workers" | "inline";

export interface InferenceOptions {
  /** `auto`: workers when the platform has them, else in-isolate. */
  mode: InferenceMode;
  workers: number;
  jobTimeoutMs: number;
  /** Worker module override (tests). */
  workerUrl?: URL;
  /** Give up on a worker that is not ready this long after it started (default 60 s). */
  startTimeoutMs?: number;
  onRestart?: (reason: string) => void;
  /** Where start-up notes go (e.g. the fallback decision). */
  log?: (message: string) => void;
}

export interface InferenceService {
  readonly info: ModelInfo;
  /** How detections run once warm; undefined while starting. */
  readonly mode: "workers" | "inline" | undefined;
  /** True once every worker (or the in-isolate session) is warm. */
  ready(): boolean;
  /** Settles when start-up is over: resolves warm, rejects if no way to run the model worked. */
  readonly warm: Promise<void>;
  detect(bytes: Uint8Array, options?: DetectOptions): Promise<DetectResult>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/**
 * Reads and prepares the model now (a bad model fails start-up at once), then warms the
 * runtime in the background so the server can listen meanwhile and /readyz tells the truth.
 */
export async function startInference(
  settings: DetectorSettings,
  options: InferenceOptions,
): Promise<InferenceService> {
  const { config, prepared } = await prepareDetector(settings);
  const info = modelInfo(config, prepared);
  const log = options.log ?? (() => {});

  let pool: WorkerPool | undefined;
  let inline: Detector | undefined;
  let mode: "workers" | "inline" | undefined;
  let closed = false;

  const warm = (async () => {
    if (options.mode !== "inline" && typeof Worker === "function") {
      try {
        pool = await WorkerPool.create(info, config, {
          size: options.workers,
          jobTimeoutMs: options.jobTimeoutMs,
          workerUrl: options.workerUrl,
          startTimeoutMs: options.startTimeoutMs,
          onRestart: options.onRestart,
        });
        mode = "workers";
        return;
      } catch (err) {
        // A bad model fails in workers and in-isolate alike: no point falling back.
        if (
          options.mode === "workers" || (err instanceof AppError && err.code === "model_invalid")
        ) {
          throw err;
        }
        log(`workers unavailable (${(err as Error).message}); running inference in-isolate`);
      }
    } else if (options.mode === "workers") {
      throw new AppError("unavailable", "Cannot start workers: this platform has no Worker");
    }
    trackWasmMemory();
    inline = await Detector.create(config);
    mode = "inline";
  })();
  // Start-up failures are reported through `warm`; keep them from being unhandled meanwhile.
  warm.catch(() => {});

  const notReady = () =>
    new AppError("unavailable", "Cannot detect yet: the model is warming up; retry shortly", {
      retryAfter: 1,
    });

  return {
    info,
    get mode() {
      return mode;
    },
    warm,
    ready: () => !closed && (pool ? pool.ready : inline !== undefined),
    detect(bytes, detectOptions = {}) {
      if (closed) {
        return Promise.reject(new AppError("unavailable", "Cannot detect: shutting down"));
      }
      if (pool) return pool.detect(bytes, detectOptions);
      if (inline) return inline.detect(bytes, detectOptions);
      return Promise.reject(notReady());
    },
    stats() {
      if (pool) return pool.stats;
      return {
        size: 1,
        ready: inline ? 1 : 0,
        busy: 0,
        waiting: 0,
        restarts: 0,
        wasmBytes: inline ? [wasmMemoryBytes()] : [],
      };
    },
    async close() {
      closed = true;
      await warm.catch(() => {});
      await pool?.close();
      await inline?.close();
    },
  };
}
