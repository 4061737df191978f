/** End-to-end numbers against the real service in a child process: overhead, scaling, cold start, memory. */
import { median, quantile, round } from "./_stats.ts";
import { spawnService } from "./_spawn.ts";

export async function detectOnce(url: string, image: Uint8Array) {
  const { ms, body } = await postJpeg(`${url}/api/v1/detect`, image);
  return { ms, timings: body.timings as Record<string, number> };
}

/** POSTs a JPEG as the raw body; its round trip in ms (JSON answer read), and the answer. */
export async function postJpeg(url: string, image: Uint8Array) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    body: image as BodyInit,
    headers: { "Content-Type": "image/jpeg" },
  });
  const body = await res.json();
  if (res.status !== 200) {
    throw new Error(`bench request failed: ${res.status} ${JSON.stringify(body)}`);
  }
  return { ms: performance.now() - t0, body };
}

export interface OverheadResult {
  requests: number;
  endToEndP50: number;
  endToEndP99: number;
  serverTotalP50: number;
  inferP50: number;
  /** End-to-end p50 (client, over HTTP) / model-run p50 (inside the worker, same requests). */
  overhead: number;
}

/** One client, one worker, sequential requests: what a request costs beyond the model run. */
export async function benchOverhead(
  image: Uint8Array,
  options: { requests: number; denoArgs?: string[] },
): Promise<OverheadResult> {
  const service = await spawnService({ WORKERS: "1", RATE_LIMIT_RATE: "1000" }, options);
  try {
    for (let i = 0; i < 10; i++) await detectOnce(service.url, image);
    const e2e: number[] = [];
    const total: number[] = [];
    const infer: number[] = [];
    for (let i = 0; i < options.requests; i++) {
      const r = await detectOnce(service.url, image);
      e2e.push(r.ms);
      total.push(r.timings.total);
      infer.push(r.timings.infer);
    }
    return {
      requests: options.requests,
      endToEndP50: round(median(e2e), 1),
      endToEndP99: round(quantile(e2e, 0.99), 1),
      serverTotalP50: round(median(total), 1),
      inferP50: round(median(infer), 1),
      overhead: round(median(e2e) / median(infer)),
    };
  } finally {
    await service.stop();
  }
}

export interface ThroughputRow {
  config: string;
  clients: number;
  seconds: number;
  perSecond: number;
  p50: number;
}

/** A pool layout to compare: how many workers, how many WASM threads each. */
export interface PoolLayout {
  workers: number;
  threads: number;
}

/** Closed-loop clients for `seconds` per layout: completed detections per second and p50. */
export async function benchThroughput(
  image: Uint8Array,
  options: {
    layouts: readonly PoolLayout[];
    clients: (layout: PoolLayout) => number;
    seconds: number;
    denoArgs?: string[];
  },
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const layout of options.layouts) {
    const clients = options.clients(layout);
    const service = await spawnService({
      WORKERS: String(layout.workers),
      WORKER_THREADS: String(layout.threads),
      RATE_LIMIT_RATE: "1000",
      RATE_LIMIT_BURST: "1000",
      QUEUE_MAX: "64",
      QUEUE_TARGET_MS: "10000",
    }, options);
    try {
      for (let i = 0; i < 10; i++) await detectOnce(service.url, image);
      const end = performance.now() + options.seconds * 1000;
      const times: number[] = [];
      await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < end) times.push((await detectOnce(service.url, image)).ms);
      }));
      rows.push({
        config: `${layout.workers} worker(s) x ${layout.threads} thread(s)`,
        clients,
        seconds: options.seconds,
        perSecond: round(times.length / options.seconds, 1),
        p50: round(median(times), 1),
      });
    } finally {
      await service.stop();
    }
  }
  return rows;
}

export interface ColdStartResult {
  runs: number;
  readyMsMedian: number;
  firstDetectionMsMedian: number;
}

/** Process spawn to /readyz 200, and to the first answered detection. */
export async function benchColdStart(
  image: Uint8Array,
  options: { runs: number; workers: number; denoArgs?: string[] },
): Promise<ColdStartResult> {
  const ready: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const t0 = performance.now();
    const service = await spawnService({ WORKERS: String(options.workers) }, options);
    ready.push(service.readyMs);
    await detectOnce(service.url, image);
    first.push(performance.now() - t0);
    await service.stop();
  }
  return {
    runs: options.runs,
    readyMsMedian: round(median(ready), 0),
    firstDetectionMsMedian: round(median(first), 0),
  };
}

export interface SoakResult {
  requests: number;
  workers: number;
  rssAfterHalfMB: number;
  rssAfterAllMB: number;
  growthLastHalfMB: number;
}

/** Many requests from 2 clients: RSS after the first half and at the end (flat is the goal). */
export async function benchSoak(
  images: readonly Uint8Array[],
  options: { requests: number; workers: number; denoArgs?: string[] },
): Promise<SoakResult> {
  const service = await spawnService({
    WORKERS: String(options.workers),
    RATE_LIMIT_RATE: "1000",
    RATE_LIMIT_BURST: "1000",
  }, options);
  try {
    let sent = 0;
    let rssHalf = 0;
    const client = async () => {
      while (sent < options.requests) {
        const n = sent++;
        await detectOnce(service.url, images[n % images.length]);
        if (n === options.requests / 2) rssHalf = service.rssBytes();
      }
    };
    await Promise.all([client(), client()]);
    const rssEnd = service.rssBytes();
    return {
      requests: options.requests,
      workers: options.workers,
      rssAfterHalfMB: round(rssHalf / 2 ** 20, 1),
      rssAfterAllMB: round(rssEnd / 2 ** 20, 1),
      growthLastHalfMB: round((rssEnd - rssHalf) / 2 ** 20, 1),
    };
  } finally {
    await service.stop();
  }
}
