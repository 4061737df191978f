/** Start-up warm-up of the request path's own code: each detection route through a spare app around a stub runner. */
import type { Hono } from "hono";
import type { Config } from "../config.ts";
import {
  type DetectResult,
  type ModelInfo,
  queueInference,
  runnerSource,
} from "../inference/mod.ts";
import { createApp } from "./app.ts";

/** Rounds per route: enough for the optimising compiler to see the hot functions. */
const ROUNDS = 3;

/**
 * A fresh process answered its first detection 20-40 ms slower than the next ones on the main
 * thread alone (Hono's router and middleware, the form reader, zod, the renderers compiling).
 * This sends each detection route (native API, the camera page's /detect, DeepStack's)
 * `ROUNDS` requests carrying `frame`, a real JPEG, so the probe and the queue run as for a
 * client, to a spare app around a stub runner, never to the service's app: no client-visible
 * metric, log line, rate-limit token or worker run is spent, and V8 shares the compiled code
 * between the two apps. Failures are the caller's to log; nothing is kept afterwards.
 */
export async function warmRoutes(
  config: Config,
  options: { info: ModelInfo; frame: Uint8Array },
): Promise<void> {
  const { info, frame } = options;
  const results = [warmResult(true), warmResult(false)];
  let next = 0;
  const runner = {
    info,
    detect: () => Promise.resolve(structuredClone(results[next++ % results.length])),
  };
  const spareConfig = {
    ...config,
    // The spare app's limits are its own: nothing here should be refused for arriving fast.
    RATE_LIMIT_RATE: 1e6,
    RATE_LIMIT_BURST: 1e6,
  };
  const app = createApp({
    config: spareConfig,
    inference: queueInference(runnerSource(runner), spareConfig),
    log: null,
  });
  const key = config.API_KEYS[0];
  for (let round = 0; round < ROUNDS; round++) {
    await send(app, "/api/v1/detect", {
      method: "POST",
      body: frame as BodyInit,
      headers: {
        "Content-Type": "image/jpeg",
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
      },
    });
    await send(app, "/detect", { method: "POST", body: form(frame) });
    await send(app, "/v1/vision/detection", { method: "POST", body: form(frame, key) });
  }
}

async function send(app: Hono, path: string, init: RequestInit): Promise<void> {
  const res = await app.fetch(new Request(`http://127.0.0.1${path}`, init));
  const body = await res.text();
  if (res.status !== 200) {
    throw new Error(`warm-up request to ${path} answered ${res.status}: ${body.slice(0, 200)}`);
  }
}

/** The multipart form the page and DeepStack clients send (with the key where they must). */
function form(frame: Uint8Array, key?: string): FormData {
  const data = new FormData();
  data.append("image", new Blob([frame as BlobPart], { type: "image/jpeg" }), "snapshot.jpg");
  if (key) data.append("api_key", key);
  return data;
}

/** A result of the shape the detector gives, hot dog or not (the renderers branch on it). */
function warmResult(hotdog: boolean): DetectResult {
  const box = { x1: 40.5, y1: 30.25, x2: 200.75, y2: 170.5 };
  return {
    width: 320,
    height: 180,
    hotdog,
    hotdogScore: hotdog ? 0.91 : 0.12,
    verdict: {
      source: hotdog ? "head" : "second-opinion",
      threshold: 0.5,
      classScore: hotdog ? 0.62 : 0.03,
      foodScore: 0.7,
      region: { box, score: hotdog ? 0.62 : 0.03 },
      secondOpinion: hotdog ? null : {
        score: 0.12,
        detectorScore: 0.4,
        imagenetHotdog: 0.05,
        looksLike: { label: "pizza", score: 0.63 },
      },
    },
    detections: [
      { label: hotdog ? "hot dog" : "pizza", classId: hotdog ? 52 : 53, score: 0.81, box },
      { label: "person", classId: 0, score: 0.55, box: { x1: 1, y1: 2, x2: 60, y2: 179 } },
    ],
    timings: { decode: 1, preprocess: 0.3, infer: 40, postprocess: 0.7, verdict: 0.3, total: 42.3 },
  };
}
