/** Latency of the DeepStack route for Frigate-style 320x320 frames on one worker, end to end. */
import { DEFAULTS } from "../../config.ts";
import { createService } from "../../main.ts";
import { frigateFrame, frigateRequest, sendRaw } from "../routes/_frigate.ts";
import { quantile, round } from "./_stats.ts";

export interface CompatLatency {
  requests: number;
  frameBytes: number;
  /** Client-side round trip: connect, send, full answer. Milliseconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Share of requests answered within Frigate's default 0.1 s api_timeout. */
  within100ms: number;
  /** The server's own processMs (decode to postprocess, no network, no queue), median. */
  processP50: number;
  inferenceP50: number;
}

/**
 * Starts the real app with ONE worker and posts a 320x320 frame `requests` times, one after
 * another, exactly as Frigate's deepstack plugin does (a new connection per request, the
 * multipart body Python requests builds). The rate limit is lifted: this measures the route.
 */
export async function benchCompatLatency(
  options: { requests?: number; warmup?: number } = {},
): Promise<CompatLatency> {
  const requests = options.requests ?? 200;
  const warmup = options.warmup ?? 10;
  const settings = {
    ...DEFAULTS,
    LOG_REQUESTS: false,
    RATE_LIMIT_RATE: 1e6,
    RATE_LIMIT_BURST: 1_000_000,
  };
  const { app, inference, warm } = await createService(settings, {
    inference: { mode: "workers", workers: 1, jobTimeoutMs: 10_000 },
    log: null,
  });
  await warm;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const port = server.addr.port;
  try {
    const frame = await frigateFrame(320);
    const raw = frigateRequest({
      host: `127.0.0.1:${port}`,
      path: "/v1/vision/detection",
      jpeg: frame,
      apiKey: "",
    });
    const rtt: number[] = [];
    const process: number[] = [];
    const inferenceMs: number[] = [];
    for (let i = 0; i < warmup + requests; i++) {
      const t0 = performance.now();
      const res = await sendRaw(port, raw);
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
      if (i < warmup) continue;
      const body = JSON.parse(res.body);
      rtt.push(ms);
      process.push(body.processMs);
      inferenceMs.push(body.inferenceMs);
    }
    const q = (v: number[], p: number) => round(quantile(v, p), 1);
    return {
      requests,
      frameBytes: frame.length,
      p50: q(rtt, 0.5),
      p90: q(rtt, 0.9),
      p99: q(rtt, 0.99),
      max: round(Math.max(...rtt), 1),
      within100ms: round(rtt.filter((ms) => ms <= 100).length / rtt.length, 3),
      processP50: q(process, 0.5),
      inferenceP50: q(inferenceMs, 0.5),
    };
  } finally {
    await server.shutdown();
    await inference.close();
  }
}

if (import.meta.main) {
  const requests = Number(Deno.args[0] ?? 200);
  console.table([await benchCompatLatency({ requests })]);
}
