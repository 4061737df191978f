/** The service's metrics: what /metrics exposes, created once per app. */
import { Counter, Gauge, Histogram, LATENCY_BUCKETS, Registry } from "./metrics.ts";
import type { Timings } from "../inference/mod.ts";

/** Live numbers the gauges read at scrape time. */
export interface MetricSources {
  queue?: () => { length: number; inFlight: number; shed: number; aborted: number };
  pool?: () => { ready: number; size: number; restarts: number; wasmBytes: number[] };
}

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter;
  requestSeconds: Histogram;
  stageSeconds: Histogram;
  sojournSeconds: Histogram;
  rateLimited: Counter;
  observeTimings(t: Timings): void;
}

const STAGES = ["queue", "decode", "preprocess", "infer", "postprocess", "total"] as const;

export function createServiceMetrics(sources: MetricSources = {}): ServiceMetrics {
  const registry = new Registry();
  const requests = registry.add(
    new Counter("nothotdog_http_requests_total", "HTTP requests by route and status."),
  );
  const requestSeconds = registry.add(
    new Histogram(
      "nothotdog_http_request_duration_seconds",
      "HTTP request latency by route.",
      LATENCY_BUCKETS,
    ),
  );
  const stageSeconds = registry.add(
    new Histogram(
      "nothotdog_stage_duration_seconds",
      "Time per detection stage (queue, decode, preprocess, infer, postprocess, total).",
      LATENCY_BUCKETS,
    ),
  );
  const sojournSeconds = registry.add(
    new Histogram(
      "nothotdog_queue_sojourn_seconds",
      "Time requests waited in the admission queue before a worker took them.",
      LATENCY_BUCKETS,
    ),
  );
  const rateLimited = registry.add(
    new Counter("nothotdog_rate_limited_total", "Requests refused by the rate limiter (429)."),
  );
  registry.add(
    new Gauge(
      "nothotdog_queue_length",
      "Requests waiting for a worker.",
      () => sources.queue?.().length ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_queue_in_flight",
      "Requests being processed by a worker.",
      () => sources.queue?.().inFlight ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_shed_total",
      "Requests shed with 503 by the admission queue (full or CoDel), since start.",
      () => sources.queue?.().shed ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_aborted_total",
      "Queued requests dropped because their client went away, since start.",
      () => sources.queue?.().aborted ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_workers_ready",
      "Warm workers ready to run detections.",
      () => sources.pool?.().ready ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_worker_restarts_total",
      "Workers replaced after a crash or a hung job, since start.",
      () => sources.pool?.().restarts ?? 0,
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_worker_wasm_memory_bytes",
      "WebAssembly linear memory of each worker's model runtime (it never shrinks).",
      () =>
        (sources.pool?.().wasmBytes ?? []).map((value, worker) => ({ labels: { worker }, value })),
    ),
  );
  registry.add(
    new Gauge(
      "nothotdog_process_resident_memory_bytes",
      "Resident set size of the process.",
      () => Deno.memoryUsage().rss,
    ),
  );
  return {
    registry,
    requests,
    requestSeconds,
    stageSeconds,
    sojournSeconds,
    rateLimited,
    observeTimings(t) {
      // The stages by name, not Object.entries: a remote detector's timings are its JSON.
      for (const stage of STAGES) {
        const ms = t[stage];
        if (typeof ms === "number") stageSeconds.observe(ms / 1000, { stage });
      }
    },
  };
}
