/** Builds the Hono app around inference: observation, admission guards, one sub-app per area, one error renderer. */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { Config } from "../config.ts";
import { AppError, type Inference } from "../inference/mod.ts";
import { detectionGuards } from "./admission.ts";
import { apiCors, apiRoutes } from "./api.ts";
import { apiKeyAuth, apiKeyId, keyRing } from "./auth.ts";
import { compatDetectionPaths, compatRoutes } from "./compat.ts";
import { deepStackErrors, renderError } from "./errors.ts";
import { observe } from "./observe.ts";
import { opsRoutes } from "./ops.ts";
import { pageRoutes } from "./pages.tsx";
import { BodyBudget } from "./body_budget.ts";
import { clientKey, rateLimited, TokenBuckets } from "./rate_limit.ts";
import { createServiceMetrics } from "./service_metrics.ts";

export type AppConfig = Pick<
  Config,
  | "RATE_LIMIT_RATE"
  | "RATE_LIMIT_BURST"
  | "TRUST_PROXY"
  | "MAX_BODY_BYTES"
  | "BODY_BUDGET_BYTES"
  | "BODY_IDLE_TIMEOUT_MS"
  | "BODY_TIMEOUT_MS"
  | "LOG_REQUESTS"
  | "CORS_ORIGINS"
  | "API_KEYS"
>;

export interface AppDeps {
  config: AppConfig;
  /** Probes, queues and runs detections (main.ts's createService builds it). */
  inference: Inference;
  /** Clock in ms for the rate limiter; tests pass a fake one. */
  now?: () => number;
  /** Log sink override (tests capture lines); default stdout when LOG_REQUESTS is on. */
  log?: ((line: string) => void) | null;
  /** A readiness condition beside the inference's (main.ts: the request path's warm-up). */
  ready?: () => boolean;
}

export function createApp(deps: AppDeps): Hono {
  const { config, inference } = deps;
  const now = deps.now ?? Date.now;
  const metrics = createServiceMetrics({
    queue: () => inference.stats().queue,
    pool: () => inference.stats(),
  });
  inference.attach({
    sojourn: (ms) => metrics.sojournSeconds.observe(ms / 1000),
    detected: metrics.observeTimings,
  });
  const keys = keyRing(config.API_KEYS);
  const address = clientKey({ trustProxy: config.TRUST_PROXY });
  // One set of buckets: uploads, the cost of big images and failed API keys all spend them.
  const buckets = new TokenBuckets({
    rate: config.RATE_LIMIT_RATE,
    burst: config.RATE_LIMIT_BURST,
    now,
  });
  const spendOnBadKey = (c: Context) => {
    const result = buckets.take(address(c));
    if (!result.allowed) throw rateLimited(buckets, result, "failed API keys");
  };
  const guards = detectionGuards({
    inference,
    rate: config.RATE_LIMIT_RATE,
    burst: config.RATE_LIMIT_BURST,
    trustProxy: config.TRUST_PROXY,
    maxBodyBytes: config.MAX_BODY_BYTES,
    // A client that proved an API key (checked before the guards) is limited as that key,
    // wherever it connects from; everyone else by address.
    key: (c) => apiKeyId(c) ?? address(c),
    now,
    buckets,
    budget: new BodyBudget({
      maxBytes: config.BODY_BUDGET_BYTES,
      perClientBytes: Math.max(config.MAX_BODY_BYTES, Math.floor(config.BODY_BUDGET_BYTES / 4)),
    }),
    bodyIdleTimeoutMs: config.BODY_IDLE_TIMEOUT_MS,
    bodyTimeoutMs: config.BODY_TIMEOUT_MS,
  });

  const app = new Hono();
  app.use(
    observe({
      metrics,
      log: deps.log !== undefined ? deps.log : config.LOG_REQUESTS ? undefined : null,
    }),
  );
  // Before anything reads the URL: a Host like `a b` makes `new URL(c.req.url)` throw.
  app.use(validUrl());
  // CORS first: preflights carry no key and must be answered before auth.
  if (config.CORS_ORIGINS.length > 0) {
    const cors = apiCors(config.CORS_ORIGINS);
    for (const path of ["/api/*", "/v1/*", "/openapi.json"]) app.use(path, cors);
  }
  // Everything under /v1 answers errors in DeepStack's shape, also the guards' 429/503/413.
  app.use("/v1/*", deepStackErrors());
  // API keys guard the APIs, not the camera page, its /detect, the docs or ops. The header is
  // checked before the guards, so a bad key costs no body read, but it does cost a token of the
  // address it came from (429 after the burst); DeepStack clients may instead send the key in
  // the form, which the compat handlers check at the same price.
  app.use("/api/v1/*", apiKeyAuth({ keys, onFailure: spendOnBadKey }));
  app.use("/v1/vision/*", apiKeyAuth({ keys, allowMissing: true, onFailure: spendOnBadKey }));
  app.use("/detect", guards);
  app.use("/api/v1/detect", guards);
  for (const path of compatDetectionPaths(inference.info.name)) app.use(path, guards);
  const ready = deps.ready;
  app.route(
    "/",
    opsRoutes({
      ready: ready ? () => inference.ready() && ready() : inference.ready,
      metrics,
    }),
  );
  app.route("/", pageRoutes({ inference }));
  app.route(
    "/",
    apiRoutes({ inference, maxBodyBytes: config.MAX_BODY_BYTES, auth: keys.size > 0 }),
  );
  app.route("/", compatRoutes({ inference, keys, onBadKey: spendOnBadKey }));
  app.notFound((c) =>
    renderError(new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`), c)
  );
  app.onError(renderError);
  return app;
}

/** 400 for a request whose URL cannot be parsed (a bad Host header), before any route runs. */
function validUrl(): MiddlewareHandler {
  return async function validUrl(c, next) {
    try {
      new URL(c.req.url);
    } catch {
      throw new AppError("bad_request", "Bad request: the Host header or the URL is not valid");
    }
    await next();
  };
}
