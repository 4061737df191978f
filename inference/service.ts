/** Starts inference (a warmed worker pool, or in-isolate as a fallback) behind its one CoDel queue. */
import type { Config } from "../config.ts";
import { CodelQueue, type CodelQueueStats } from "./codel_queue.ts";
import { Detector, type ModelInfo } from "./detector.ts";
import { AppError } from "./errors.ts";
import { type ImageInfo, probeImage } from "./image_probe.ts";
import { type DetectorSettings, prepareDetector } from "./load_detector.ts";
import { type PoolStats, WorkerPool } from "./pool.ts";
import type { DetectOptions, DetectResult, RunOptions, Timings } from "./types.ts";
import { trackWasmMemory, wasmMemoryBytes } from "./_wasm_memory.ts";

export type InferenceMode = "auto" | "workers" | "inline";

/** The settings inference reads: the detector's, and the queue's. */
export type InferenceSettings =
  & DetectorSettings
  & Pick<Config, "QUEUE_MAX" | "QUEUE_TARGET_MS" | "QUEUE_INTERVAL_MS">;

/** What runs one detection once the queue has granted it a slot: the pool, or a Detector. */
export interface Runner {
  readonly info: ModelInfo;
  detect(bytes: Uint8Array, options: RunOptions): Promise<DetectResult>;
}

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
  /** Clock in ms for the queue and `timings.queue`; tests pass a fake one. */
  now?: () => number;
}

/** Per-detection options: the detector's, the client's abort signal, and a probe if made. */
export interface InferenceDetectOptions extends DetectOptions {
  /** Aborts the wait for a worker (the client went away); a running detection finishes. */
  signal?: AbortSignal;
}

/** What a caller may hook into; one set per app. */
export interface InferenceHooks {
  /**
   * Called with each image's probe before it takes a place in the queue; throw to refuse the
   * image (e.g. its client cannot pay for its size).
   */
  probed?(probe: ImageInfo): void;
  /** Called with each job's wait in ms when a worker takes it. */
  sojourn?(ms: number): void;
  /** Called with the timings of each detection that succeeded. */
  detected?(timings: Timings): void;
}

export interface InferenceStats extends PoolStats {
  queue: CodelQueueStats;
}

/** The one way into inference: probe, queue, run, with what callers need to know about it. */
export interface Inference {
  readonly info: ModelInfo;
  /** How detections run once warm; undefined while starting. */
  readonly mode: "workers" | "inline" | undefined;
  /** Detections that may run at once now: the warm workers (1 in-isolate, 0 while starting). */
  readonly concurrency: number;
  /** True once every worker (or the in-isolate session) is warm. */
  ready(): boolean;
  /** Settles when start-up is over: resolves warm, rejects if no way to run the model worked. */
  readonly warm: Promise<void>;
  /** Throws the queue-full refusal when an arrival now would be shed (before reading a body). */
  checkAdmission(): void;
  /**
   * Probes the image against the configured limits, queues it for a worker, runs it; the wait is
   * `timings.queue`, included in `timings.total`.
   */
  detect(bytes: Uint8Array, options?: InferenceDetectOptions): Promise<DetectResult>;
  /** Adds hooks; returns the function that removes them. */
  attach(hooks: InferenceHooks): () => void;
  stats(): InferenceStats;
  close(): Promise<void>;
}

/**
 * Reads and prepares the model now (a bad model fails start-up at once), then warms the
 * runtime in the background so the server can listen meanwhile and /readyz tells the truth.
 */
export async function startInference(
  settings: InferenceSettings,
  options: InferenceOptions,
): Promise<Inference> {
  const plan = await prepareDetector(settings);
  const info = plan.info;
  const log = options.log ?? (() => {});
  let pool: WorkerPool | undefined;
  let inline: Detector | undefined;
  let mode: "workers" | "inline" | undefined;
  // Set once the queue exists: a worker coming back lets waiting jobs through.
  let wake = () => {};

  const warm = (async () => {
    if (options.mode !== "inline" && typeof Worker === "function") {
      try {
        pool = await WorkerPool.create(plan, {
          size: options.workers,
          jobTimeoutMs: options.jobTimeoutMs,
          workerUrl: options.workerUrl,
          startTimeoutMs: options.startTimeoutMs,
          onRestart: options.onRestart,
          onReady: () => wake(),
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
    inline = await Detector.create(plan);
    mode = "inline";
  })();
  // Start-up failures are reported through `warm`; keep them from being unhandled meanwhile.
  warm.catch(() => {});

  const inference = queueInference(
    {
      info,
      get mode() {
        return mode;
      },
      warm,
      runner: () => pool ?? inline,
      // In-isolate runs one detection at a time; the pool one per warm worker.
      concurrency: () => pool ? pool.readyCount : inline ? 1 : 0,
      ready: () => pool ? pool.ready : inline !== undefined,
      stats: () =>
        pool ? pool.stats : {
          size: 1,
          ready: inline ? 1 : 0,
          busy: 0,
          restarts: 0,
          wasmBytes: inline ? [wasmMemoryBytes()] : [],
        },
      async close() {
        await warm.catch(() => {});
        await pool?.close();
        await inline?.close();
      },
    },
    settings,
    options,
  );
  wake = () => inference.wake();
  return inference;
}

/** What the queue fronts: how to run a job now, and what to report about the runners. */
export interface RunnerSource {
  readonly info: ModelInfo;
  readonly mode: "workers" | "inline" | undefined;
  readonly warm: Promise<void>;
  /** The runner, once warm; undefined while starting. */
  runner(): Runner | undefined;
  /** Jobs that may run at once now. */
  concurrency(): number;
  ready(): boolean;
  stats(): PoolStats;
  close(): Promise<void>;
}

/**
 * Puts one CoDel queue, the probe and the hooks in front of a source of runners: what
 * startInference returns; tests front a stub runner with it (see `runnerSource`).
 */
export function queueInference(
  source: RunnerSource,
  settings: Pick<
    InferenceSettings,
    "QUEUE_MAX" | "QUEUE_TARGET_MS" | "QUEUE_INTERVAL_MS" | "MAX_PIXELS" | "MAX_SIDE"
  >,
  options: Pick<InferenceOptions, "now"> = {},
): Inference & { wake(): void } {
  const hooks = new Set<InferenceHooks>();
  // Whole milliseconds, as the queue's messages and Retry-After speak them.
  const now = options.now ?? Date.now;
  // timings.queue keeps sub-millisecond precision, as every other stage's timing does.
  const clock = options.now ?? performance.now.bind(performance);
  const queue = new CodelQueue({
    concurrency: source.concurrency,
    maxLength: settings.QUEUE_MAX,
    target: settings.QUEUE_TARGET_MS,
    interval: settings.QUEUE_INTERVAL_MS,
    now,
    onSojourn: (ms) => hooks.forEach((h) => h.sojourn?.(ms)),
  });
  const limits = { maxPixels: settings.MAX_PIXELS, maxSide: settings.MAX_SIDE };
  let closed = false;

  return {
    info: source.info,
    get mode() {
      return source.mode;
    },
    get concurrency() {
      return source.concurrency();
    },
    warm: source.warm,
    ready: () => !closed && source.ready(),
    checkAdmission: () => queue.checkAdmission(),
    wake: () => queue.wake(),
    async detect(bytes, detectOptions = {}) {
      const { signal, conf, iou, maxDetections, classes } = detectOptions;
      // The probe costs about a millisecond per MB: a hostile upload never takes a place in
      // the queue or a worker, and the hooks can charge for the image's size first.
      const probe = probeImage(bytes, limits);
      hooks.forEach((h) => h.probed?.(probe));
      if (closed) throw new AppError("unavailable", "Cannot detect: shutting down");
      const runner = source.runner();
      if (!runner) {
        throw new AppError(
          "unavailable",
          "Cannot detect yet: the model is warming up; retry shortly",
          { retryAfter: 1 },
        );
      }
      const enqueued = clock();
      const release = await queue.acquire(signal);
      const started = clock();
      let result: DetectResult;
      try {
        // Only plain data crosses to a worker: the signal stays here.
        result = await runner.detect(bytes, { conf, iou, maxDetections, classes, probe });
      } finally {
        release();
      }
      const queueMs = started - enqueued;
      const timings = { ...result.timings, queue: queueMs, total: result.timings.total + queueMs };
      hooks.forEach((h) => h.detected?.(timings));
      return { ...result, timings };
    },
    attach(h) {
      hooks.add(h);
      return () => hooks.delete(h);
    },
    stats: () => ({ ...source.stats(), queue: queue.stats }),
    async close() {
      closed = true;
      await source.close();
    },
  };
}

/** A warm source of one runner that runs a job at a time (tests' stubs, a Detector in hand). */
export function runnerSource(runner: Runner): RunnerSource {
  return {
    info: runner.info,
    mode: "inline",
    warm: Promise.resolve(),
    runner: () => runner,
    concurrency: () => 1,
    ready: () => true,
    stats: () => ({ size: 1, ready: 1, busy: 0, restarts: 0, wasmBytes: [] }),
    // The runner is its owner's to close.
    close: () => Promise.resolve(),
  };
}
