/** Entry point: read the configuration once, compose inference and the app, serve, shut down gracefully. */
import type { Hono } from "hono";
import { type Config, loadConfig, servedAssetPaths } from "./config.ts";
import {
  type Inference,
  type InferenceOptions,
  startInference,
  warmFrames,
} from "./inference/mod.ts";
import { main as fetchAssets } from "./models/assets.ts";
import { createApp } from "./routes/app.ts";
import { listenUrls } from "./routes/listen_urls.ts";
import { warmRoutes } from "./routes/warm_up.ts";

const logLine = (msg: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg, ...fields }));

/** What tests and the bench may change in the composition; everything else is the config's. */
export interface ServiceOverrides {
  /** Inference options over the config's (worker module, a stub runner, start timeout...). */
  inference?: Partial<InferenceOptions>;
  /** Clock in ms for the rate limiter and the queue. */
  now?: () => number;
  /** Request log sink; null: none; default: stdout when LOG_REQUESTS is on. */
  log?: ((line: string) => void) | null;
}

/**
 * The service as main.ts runs it: inference (started, warming) and the app in front of it.
 * `warm` settles when both are warm (the workers, then the request path's own code) and /readyz
 * says ready; it rejects only when inference cannot start.
 */
export async function createService(
  config: Config,
  overrides: ServiceOverrides = {},
): Promise<{ app: Hono; inference: Inference; warm: Promise<void> }> {
  const inference = await startInference(config, {
    mode: config.INFERENCE_MODE,
    workers: config.WORKERS,
    jobTimeoutMs: config.JOB_TIMEOUT_MS,
    onRestart: (reason) => logLine("worker replaced", { reason }),
    log: (message) => logLine(message),
    now: overrides.now,
    ...overrides.inference,
  });
  // A snapshot as the camera page sends them (16:9 at the input's long side), encoded while the
  // workers start rather than after them.
  const long = Math.max(config.INPUT_SIZE.width, config.INPUT_SIZE.height);
  const routeFrame = warmFrames([{ width: long, height: Math.round((long * 9) / 16) }]);
  routeFrame.catch(() => {});
  let routesWarm = false;
  const app = createApp({
    config,
    inference,
    now: overrides.now,
    log: overrides.log,
    ready: () => routesWarm,
  });
  const warm = inference.warm.then(async () => {
    try {
      const [frame] = await routeFrame;
      await warmRoutes(config, { info: inference.info, frame });
    } catch (err) {
      // Only speed is at stake: say so and serve.
      logLine("request path warm-up failed", { error: (err as Error).message });
    } finally {
      routesWarm = true;
    }
  });
  return { app, inference, warm };
}

/** A bad setting is the user's to fix: one line naming every problem, exit 2, no stack trace. */
function configOrExit(): Config {
  try {
    return loadConfig(Deno.env.toObject());
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(2);
  }
}

/** The certificate and key as PEM text, or undefined without TLS. */
function tlsOrExit(config: Config): { cert: string; key: string } | undefined {
  if (config.TLS_CERT === "") return undefined;
  try {
    return {
      cert: Deno.readTextFileSync(config.TLS_CERT),
      key: Deno.readTextFileSync(config.TLS_KEY),
    };
  } catch (err) {
    console.error(`Cannot start: cannot read TLS_CERT / TLS_KEY: ${(err as Error).message}`);
    Deno.exit(2);
  }
}

/** This machine's addresses, when the permission to list them was given (`deno task start`). */
function addresses(): string[] {
  try {
    return Deno.networkInterfaces().map((i) => i.address);
  } catch {
    return [];
  }
}

if (import.meta.main) {
  const config = configOrExit();
  // `deno task start` first fetches exactly the model files this configuration serves.
  if (Deno.args.includes("--fetch-assets")) {
    Deno.exit(
      await fetchAssets(["--quiet", ...servedAssetPaths(config).flatMap((p) => ["--path", p])]),
    );
  }
  const tls = tlsOrExit(config);
  const started = performance.now();
  const { app, inference, warm } = await createService(config);
  const server = Deno.serve({
    port: config.PORT,
    hostname: config.HOST,
    ...tls,
    onListen: (addr) =>
      logLine("listening", { ...listenUrls(addr, { tls: !!tls, addresses: addresses() }) }),
  }, app.fetch);

  warm.then(
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
