/** Admission control for detection routes: rate limit, queue gate and body limit, then the queue. */
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { bodyLimit } from "./body_limit.ts";
import type { CodelQueue } from "./codel_queue.ts";
import type { DetectService } from "./deps.ts";
import type { Timings } from "../inference/types.ts";
import { clientKey, type KeyFn, rateLimit } from "./rate_limit.ts";

export interface AdmissionOptions {
  queue: CodelQueue;
  rate: number;
  burst: number;
  trustProxy: boolean;
  maxBodyBytes: number;
  /** Overrides the client key (e.g. by API key); default: the client's address. */
  key?: KeyFn;
  now?: () => number;
}

/**
 * The guards every detection route runs, cheapest rejection first: the token bucket (no body
 * read), a full queue (no body read), then the body limit while the body streams in. The JPEG
 * probe runs in the handler, before the bytes reach a worker.
 */
export function detectionGuards(options: AdmissionOptions): MiddlewareHandler {
  const { queue } = options;
  const guard = every(
    rateLimit({
      rate: options.rate,
      burst: options.burst,
      key: options.key ?? clientKey({ trustProxy: options.trustProxy }),
      now: options.now,
    }),
    async function queueGate(_c, next) {
      queue.checkAdmission();
      await next();
    },
    bodyLimit({ maxBytes: options.maxBodyBytes }),
  );
  // Only uploads are guarded: a stray GET should get its 404/405, not spend a token.
  return async function detectionGuards(c, next) {
    if (c.req.method !== "POST") return await next();
    return await guard(c, next);
  };
}

/**
 * Puts a service behind the CoDel queue: at most `concurrency` detections run at once, the rest
 * wait (or are shed), and a request whose client left is dropped before it reaches a worker.
 * The wait is reported as `timings.queue` and included in `timings.total`. The JPEG probe runs
 * first, in microseconds, so a hostile upload never takes a place in the queue or a worker.
 */
export function queuedService(
  service: DetectService,
  queue: CodelQueue,
  hooks: {
    now?: () => number;
    onTimings?: (t: Timings) => void;
    /** Checks the bytes before they take a place in the queue; throws to refuse them. */
    probe?: (bytes: Uint8Array) => void;
  } = {},
): DetectService {
  const now = hooks.now ?? performance.now.bind(performance);
  return {
    get info() {
      return service.info;
    },
    async detect(bytes, options = {}) {
      const { signal, ...rest } = options;
      hooks.probe?.(bytes);
      const enqueued = now();
      let started = enqueued;
      const result = await queue.run(() => {
        started = now();
        return service.detect(bytes, rest);
      }, signal);
      const queueMs = started - enqueued;
      const timings = { ...result.timings, queue: queueMs, total: result.timings.total + queueMs };
      hooks.onTimings?.(timings);
      return { ...result, timings };
    },
  };
}
