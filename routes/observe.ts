/** Request observation: a request id, one structured JSON log line and metrics per request. */
import type { MiddlewareHandler } from "hono";
import type { ServiceMetrics } from "./service_metrics.ts";

export interface ObserveOptions {
  metrics: ServiceMetrics;
  /** Where log lines go (default: stdout); `null` turns logging off. */
  log?: ((line: string) => void) | null;
  now?: () => number;
}

// A client-supplied id is kept only if it is short and plain, so logs cannot be forged.
const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

// Metric labels come from closed sets only: a method outside this list is `other` (3,000
// requests with unique 8 KB methods once grew /metrics to 24 MB and never shrank).
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);

/**
 * Sets `X-Request-Id` (echoing a safe incoming one) and `X-Content-Type-Options: nosniff` on
 * every response, logs one JSON line and counts each request. Labels are route patterns, known
 * methods and status codes, never raw input.
 */
export function observe(options: ObserveOptions): MiddlewareHandler {
  const { metrics, now = performance.now.bind(performance) } = options;
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  return async function observe(c, next) {
    const started = now();
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId" as never, id as never);
    c.header("X-Request-Id", id);
    await next();
    // Errors are rendered by onError before we get here, so c.res is the final response.
    c.res.headers.set("X-Request-Id", id);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    const ms = now() - started;
    const route = c.req.routePath && c.res.status !== 404 ? c.req.routePath : "unmatched";
    const status = c.res.status;
    const method = METHODS.has(c.req.method) ? c.req.method : "other";
    metrics.requests.inc({ route, method, status });
    metrics.requestSeconds.observe(ms / 1000, { route });
    if (status === 429) metrics.rateLimited.inc();
    if (!log) return;
    const error = c.error as { code?: string } | undefined;
    // /readyz answers 503 by design until the model is warm: that is news, not an error.
    const expected = c.req.path === "/readyz";
    log(JSON.stringify({
      time: new Date().toISOString(),
      level: expected ? "info" : status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      msg: "request",
      requestId: id,
      // Truncated: the log line stays one bounded line whatever was sent.
      method: c.req.method.slice(0, 32),
      // Hono's own parse, which (unlike `new URL`) cannot throw on a bad Host.
      path: c.req.path.slice(0, 2048),
      route,
      status,
      ms: Math.round(ms * 10) / 10,
      bytesIn: Number(c.req.header("Content-Length") ?? 0) || undefined,
      error: error?.code,
    }));
  };
}
