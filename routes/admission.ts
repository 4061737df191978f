/** Admission control for detection routes: rate limit, queue gate, body budget and limit, image cost. */
import { AsyncLocalStorage } from "node:async_hooks";
import type { MiddlewareHandler } from "hono";
import { every } from "hono/combine";
import { AppError, type ImageInfo, type Inference } from "../inference/mod.ts";
import type { BodyBudget } from "./body_budget.ts";
import { bodyLimit, contentLength } from "./body_limit.ts";
import { clientKey, type KeyFn, rateLimit, rateLimited, TokenBuckets } from "./rate_limit.ts";

export interface AdmissionOptions {
  /** Its queue-full gate refuses before the body is read; its probe hook charges the image. */
  inference: Pick<Inference, "checkAdmission" | "attach">;
  rate: number;
  burst: number;
  trustProxy: boolean;
  maxBodyBytes: number;
  /** Overrides the client key (e.g. by API key); default: the client's address. */
  key?: KeyFn;
  now?: () => number;
  /** Shared with whatever else spends the same clients' tokens; default: buckets of its own. */
  buckets?: TokenBuckets;
  /** Bytes uploads may hold; default: no budget. */
  budget?: BodyBudget;
  /** Body read timeouts (routes/body_limit.ts); default: none. */
  bodyIdleTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/**
 * Megapixels of decode work one token pays for. A request takes one token when it arrives; once
 * its image is probed it pays the rest: one token per started megapixel, times the started tens
 * of scans (x1 up to 10 scans, x2 up to 20, ...), so a 0.3 MP snapshot costs 1 and a 12 MP
 * photo 12; never more than the burst, so every image the limits accept can still be sent.
 */
export const MEGAPIXELS_PER_TOKEN = 1;

/** What a probed image costs in tokens, given the bucket's burst. */
export function imageCost(probe: Pick<ImageInfo, "width" | "height" | "scans">, burst: number) {
  const megapixels = probe.width * probe.height / 1e6;
  const cost = Math.ceil(megapixels / MEGAPIXELS_PER_TOKEN) *
    Math.max(1, Math.ceil(probe.scans / 10));
  return Math.min(Math.max(1, cost), burst);
}

/** What the guards hand down to the detection they admitted: how to charge for its image. */
interface Admission {
  charge(probe: Pick<ImageInfo, "width" | "height" | "scans">): void;
}

/**
 * The guards every detection route runs, cheapest rejection first: the token bucket (no body
 * read), a full queue (no body read), the byte budget for bodies in flight (no body read), then
 * the body limit and read timeouts while the body streams in. Inference probes the image once,
 * before it queues, and calls back here to charge the image's cost (429 when its client cannot
 * pay); the decoder reuses that probe.
 */
export function detectionGuards(options: AdmissionOptions): MiddlewareHandler {
  const { inference, budget, maxBodyBytes } = options;
  // The request being admitted: set around the handler, so every detection route behind these
  // guards is charged by cost without its handler passing anything.
  const admissions = new AsyncLocalStorage<Admission>();
  inference.attach({ probed: (probe) => admissions.getStore()?.charge(probe) });
  const key = options.key ?? clientKey({ trustProxy: options.trustProxy });
  const buckets = options.buckets ??
    new TokenBuckets({ rate: options.rate, burst: options.burst, now: options.now });
  const guard = every(
    rateLimit({ rate: options.rate, burst: options.burst, key, buckets }),
    async function queueGate(_c, next) {
      inference.checkAdmission();
      await next();
    },
    async function bodyBudget(c, next) {
      if (!budget) return await next();
      const bytes = Math.min(contentLength(c.req.raw.headers) ?? maxBodyBytes, maxBodyBytes);
      const release = budget.reserve(key(c), bytes);
      if (typeof release === "string") {
        const mb = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
        throw new AppError(
          "overloaded",
          release === "client"
            ? `Too many uploads in progress from this client (its share is ` +
              `${mb(budget.perClientBytes)}); retry in 1 s`
            : `Server is receiving too many uploads (${
              mb(budget.maxBytes)
            } in flight); retry in 1 s`,
          { retryAfter: 1 },
        );
      }
      try {
        await next();
      } finally {
        release();
      }
    },
    bodyLimit({
      maxBytes: maxBodyBytes,
      idleTimeoutMs: options.bodyIdleTimeoutMs,
      timeoutMs: options.bodyTimeoutMs,
    }),
  );
  // Only uploads are guarded: a stray GET should get its 404/405, not spend a token.
  return async function detectionGuards(c, next) {
    if (c.req.method !== "POST") return await next();
    const admission: Admission = {
      charge(probe) {
        const extra = imageCost(probe, buckets.burst) - 1;
        if (extra <= 0) return;
        const result = buckets.take(key(c), extra);
        if (!result.allowed) {
          const e = rateLimited(buckets, result, "megapixels");
          throw new AppError(
            "rate_limited",
            `This ${probe.width}x${probe.height} image costs ${extra + 1} tokens (one per ` +
              `started megapixel); ${e.message}`,
            { retryAfter: e.retryAfter },
          );
        }
      },
    };
    try {
      return await guard(c, () => admissions.run(admission, next));
    } catch (err) {
      // Refused before the body was read: do not leave it to drain on a kept-alive connection.
      c.header("Connection", "close");
      throw err;
    }
  };
}
