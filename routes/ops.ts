/** Operations routes: liveness, readiness and Prometheus metrics. */
import { Hono } from "hono";
import { AppError } from "../inference/mod.ts";
import type { ServiceMetrics } from "./service_metrics.ts";

export interface OpsDeps {
  ready: () => boolean;
  metrics: ServiceMetrics;
}

export function opsRoutes(deps: OpsDeps): Hono {
  const app = new Hono();
  // Liveness: answers while the process lives; never touches the model.
  app.get("/healthz", (c) => {
    c.header("Cache-Control", "no-store");
    return c.json({ status: "ok" });
  });
  // Readiness: 503 until every worker is warm, so a balancer sends no traffic before that.
  app.get("/readyz", (c) => {
    c.header("Cache-Control", "no-store");
    if (!deps.ready()) {
      throw new AppError("unavailable", "Not ready: the model is warming up", { retryAfter: 1 });
    }
    return c.json({ status: "ready" });
  });
  app.get("/metrics", (c) => {
    c.header("Cache-Control", "no-store");
    return c.body(deps.metrics.registry.render(), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}
