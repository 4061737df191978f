/** Serves the full app over loopback around a given detection runner, for the API route tests. */
import { type Config, DEFAULTS } from "../../config.ts";
import { queueInference, type Runner, runnerSource } from "../../inference/mod.ts";
import { createApp } from "../../routes/app.ts";

export interface ServedApp {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The app with `overrides` on the defaults, with `runner` (a Detector or a stub) behind the
 * real queue in place of the workers. The rate limit is lifted unless a test sets it: one test
 * file sends far more than the default burst from 127.0.0.1.
 */
export function serveApp(runner: Runner, overrides: Partial<Config> = {}): ServedApp {
  const config = {
    ...DEFAULTS,
    RATE_LIMIT_RATE: 10_000,
    RATE_LIMIT_BURST: 10_000,
    ...overrides,
  };
  const app = createApp({
    config,
    inference: queueInference(runnerSource(runner), config),
    log: null,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}

/** Fetches and reads the body, so no response is left unconsumed. */
export async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  // deno-lint-ignore no-explicit-any
  return { res, status: res.status, headers: res.headers, text, body: body as any };
}

/** A multipart body with `image` (when given) and any other string fields. */
export function form(image?: Uint8Array, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  if (image) f.append("image", new Blob([image as BlobPart]), "image.jpg");
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** A promise with its resolver outside, to hold a stub detection open. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}
