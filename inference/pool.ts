/** A pool of Deno Workers, each with its own warmed Detector, replaced when one crashes or hangs. */
import { type DetectorPlan, type ModelInfo, warmFrameSizes } from "./detector.ts";
import { AppError, fromWireError } from "./errors.ts";
import type { DetectResult, RunOptions } from "./types.ts";
import type { FromWorker, ToWorker } from "./worker.ts";
import { warmFrames } from "./warm_frames.ts";

export interface PoolOptions {
  /** Number of workers (each one WASM session). */
  size: number;
  /** A job running longer than this is a hung worker: it is terminated and replaced. */
  jobTimeoutMs: number;
  /** Worker module; tests substitute a wrapper around the real one. */
  workerUrl?: URL;
  /** A worker not ready this long after it was started is given up on (default 60 s). */
  startTimeoutMs?: number;
  /** Called on each worker replacement, with the reason. */
  onRestart?: (reason: string) => void;
  /** Called when a worker becomes ready (at start or after a replacement): one more slot. */
  onReady?: () => void;
}

interface Job {
  id: number;
  bytes: Uint8Array;
  options: RunOptions;
  resolve: (r: DetectResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  job?: Job;
  timer?: ReturnType<typeof setTimeout>;
  wasmBytes: number;
  generation: number;
}

export interface PoolStats {
  size: number;
  ready: number;
  busy: number;
  restarts: number;
  /** WASM linear memory per worker, bytes (as last reported). */
  wasmBytes: number[];
}

/**
 * Runs detections on `size` workers. It keeps no waiting list: the CoDel queue in front
 * (codel_queue.ts, its concurrency the workers `ready`) hands it a job only when a worker is
 * free. Each worker runs one job at a time, as a WASM session requires. A crash or a job past
 * its deadline fails that job with 503 and replaces the worker; other jobs are untouched.
 */
export class WorkerPool {
  readonly info: ModelInfo;
  #plan: DetectorPlan;
  #options: PoolOptions;
  #slots: Slot[] = [];
  #nextId = 1;
  #restarts = 0;
  #closed = false;
  /** The warm-up snapshots every worker runs, encoded once here; null if that failed. */
  #warmFrames: Promise<Uint8Array[] | null> = Promise.resolve(null);
  get #startTimeoutMs(): number {
    return this.#options.startTimeoutMs ?? 60_000;
  }

  private constructor(plan: DetectorPlan, options: PoolOptions) {
    this.info = plan.info;
    this.#plan = plan;
    this.#options = options;
  }

  /** Starts every worker and resolves once all are warm (eager compile, as Axon.Serving does). */
  static async create(plan: DetectorPlan, options: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(sharedPlan(plan), options);
    // Encoded here while the workers load and compile (the main thread is idle then), instead of
    // by each worker (0.3-0.6 s of its start-up). If that fails, each encodes its own again.
    pool.#warmFrames = (async () => await warmFrames(warmFrameSizes(plan)))().catch(() => null);
    await Promise.all(Array.from({ length: options.size }, (_, i) => pool.#start(i)));
    return pool;
  }

  get ready(): boolean {
    return !this.#closed && this.#slots.every((s) => s.ready);
  }

  /** Workers warm and not being replaced: how many jobs may run at once right now. */
  get readyCount(): number {
    return this.#slots.filter((s) => s.ready).length;
  }

  get stats(): PoolStats {
    return {
      size: this.#slots.length,
      ready: this.#slots.filter((s) => s.ready).length,
      busy: this.#slots.filter((s) => s.job).length,
      restarts: this.#restarts,
      wasmBytes: this.#slots.map((s) => s.wasmBytes),
    };
  }

  /**
   * Runs one detection on an idle worker. `options` must be plain data (it is cloned to the
   * worker). The queue in front asks only when a worker is free; if none is, this rejects
   * rather than wait.
   */
  detect(bytes: Uint8Array, options: RunOptions = {}): Promise<DetectResult> {
    if (this.#closed) {
      return Promise.reject(
        new AppError("unavailable", "Cannot detect: the service is shutting down"),
      );
    }
    const slot = this.#slots.find((s) => s.ready && !s.job);
    if (!slot) {
      return Promise.reject(
        new AppError("unavailable", "Cannot detect: no worker is free; retry the request", {
          retryAfter: 1,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextId++, bytes, options, resolve, reject };
      slot.job = job;
      slot.timer = setTimeout(
        () => this.#replace(slot, `took over ${this.#options.jobTimeoutMs} ms`, "timeout"),
        this.#options.jobTimeoutMs,
      );
      const msg: ToWorker = { type: "detect", id: job.id, bytes, options };
      // The body buffer is ours alone: transfer it instead of copying it.
      slot.worker.postMessage(msg, [bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.job?.reject(new AppError("unavailable", "Cannot detect: the service is shutting down"));
      slot.worker.terminate();
    }
    await Promise.resolve();
  }

  #start(index: number): Promise<void> {
    const url = this.#options.workerUrl ?? new URL("./worker.ts", import.meta.url);
    const worker = new Worker(url, { type: "module", name: `detector-${index}` });
    const generation = (this.#slots[index]?.generation ?? 0) + 1;
    const slot: Slot = { index, worker, ready: false, wasmBytes: 0, generation };
    this.#slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      // A worker that never says ready (a load that hangs, an error no event reports) must not
      // leave start-up, or a replacement, waiting forever.
      const startTimer = setTimeout(() => {
        worker.terminate();
        reject(
          new AppError(
            "unavailable",
            `Cannot start worker ${index}: not ready after ${this.#startTimeoutMs} ms`,
          ),
        );
      }, this.#startTimeoutMs);
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const msg = event.data;
        if (msg.type === "ready") {
          clearTimeout(startTimer);
          slot.ready = true;
          slot.wasmBytes = msg.wasmBytes;
          resolve();
          this.#options.onReady?.();
        } else if (msg.type === "init-error") {
          clearTimeout(startTimer);
          worker.terminate();
          reject(initError(fromWireError(msg.error)));
        } else this.#settle(slot, msg);
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        if (!slot.ready) {
          clearTimeout(startTimer);
          worker.terminate();
          reject(new AppError("internal", `Cannot start worker ${index}: ${event.message}`));
          return;
        }
        this.#replace(slot, `crashed: ${event.message}`, "unavailable");
      };
      worker.postMessage({ type: "init", plan: this.#plan } satisfies ToWorker);
      this.#warmFrames.then((frames) => {
        if (this.#slots[index] !== slot) return;
        worker.postMessage({ type: "warm-frames", frames } satisfies ToWorker);
      });
    });
  }

  #settle(slot: Slot, msg: FromWorker): void {
    if (msg.type !== "result" && msg.type !== "error") return;
    const job = slot.job;
    if (!job || job.id !== msg.id) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.wasmBytes = msg.wasmBytes;
    if (msg.type === "result") job.resolve(msg.result);
    else job.reject(fromWireError(msg.error));
  }

  /** Fails the slot's job with 503, terminates the worker and starts a fresh one in its place. */
  #replace(slot: Slot, reason: string, code: "unavailable" | "timeout"): void {
    if (this.#slots[slot.index] !== slot) return;
    clearTimeout(slot.timer);
    slot.ready = false;
    slot.worker.terminate();
    const job = slot.job;
    slot.job = undefined;
    this.#restarts++;
    this.#options.onRestart?.(reason);
    job?.reject(
      new AppError(code, `Cannot detect: the worker ${reason}; retry the request`, {
        retryAfter: 1,
      }),
    );
    if (this.#closed) return;
    this.#start(slot.index).catch((err) => {
      console.error(`Cannot restart worker ${slot.index}: ${(err as Error).message}`);
    });
  }
}

/**
 * The plan with its model bytes in shared memory, so every worker reads the one copy. Posted as
 * plain arrays, each worker got a clone of both graphs (20 MB with the classifier) and a
 * serialised copy on the way, and kept the clone for good: 2 workers with the classifier were
 * ready at 608 MB RSS, 496 MB sharing them.
 */
function sharedPlan(plan: DetectorPlan): DetectorPlan {
  const classifier = plan.classifier &&
    { ...plan.classifier, bytes: shared(plan.classifier.bytes) };
  return Object.freeze({
    ...plan,
    model: { ...plan.model, bytes: shared(plan.model.bytes) },
    classifier,
  });
}

/** Sessions copy the bytes into their own WASM memory, so a shared view reads the same graph. */
function shared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/**
 * A worker that cannot build its detector from this configuration reports `model_invalid`
 * (start-up fails rather than falling back to in-isolate inference, which would fail alike),
 * with the worker's own error, code and cause intact, as its cause.
 */
function initError(err: AppError): AppError {
  if (err.code === "model_invalid") return err;
  return new AppError("model_invalid", err.message, { cause: err });
}
