/** Entry point: read the configuration once, start inference, serve, shut down gracefully. */
import { loadConfig } from "./config.ts";
import { startInference } from "./inference/service.ts";
import { createApp } from "./routes/app.ts";

const logLine = (msg: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg, ...fields }));

if (import.meta.main) {
  const config = loadConfig(Deno.env.toObject());
  const started = performance.now();
  const inference = await startInference(config, {
    mode: config.INFERENCE_MODE,
    workers: config.WORKERS,
    jobTimeoutMs: config.JOB_TIMEOUT_MS,
    onRestart: (reason) => logLine("worker replaced", { reason }),
    log: (message) => logLine(message),
  });
  const app = createApp({
    config,
    service: inference,
    // In-isolate fallback runs one detection at a time; the pool runs one per worker.
    get concurrency() {
      return inference.mode === "inline" ? 1 : config.WORKERS;
    },
    ready: inference.ready,
    poolStats: inference.stats,
  });
  const server = Deno.serve({
    port: config.PORT,
    hostname: config.HOST,
    onListen: ({ hostname, port }) => logLine("listening", { url: `http://${hostname}:${port}/` }),
  }, app.fetch);

  inference.warm.then(
    () => logLine("ready", { mode: inference.mode, ms: Math.round(performance.now() - started) }),
    (err) => {
      console.error(`Cannot start inference: ${(err as Error).message}`);
      Deno.exit(1);
    },
  );

  // Graceful shutdown: stop accepting, let in-flight requests finish within the deadline.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logLine("shutting down", { signal });
    const deadline = new Promise((r) => setTimeout(r, config.SHUTDOWN_TIMEOUT_MS));
    await Promise.race([server.shutdown(), deadline]);
    await inference.close();
    Deno.exit(0);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stop(sig));
}
