/** Starts the real app on loopback with a real model, for server tests and benchmarks. */
import { type Config, DEFAULTS } from "../../config.ts";
import type { Inference, InferenceOptions } from "../../inference/mod.ts";
import { createService } from "../../main.ts";

export interface TestServer {
  url: string;
  port: number;
  inference: Inference;
  close(): Promise<void>;
}

/** main.ts's composition on loopback: one warm worker unless `options` say otherwise. */
export async function startTestServer(
  config: Partial<Config> = {},
  options: Partial<InferenceOptions> & {
    now?: () => number;
    /** Receives the request log lines (default: none). */
    log?: (line: string) => void;
  } = {},
): Promise<TestServer> {
  const { now, log, ...inferenceOptions } = options;
  const { app, inference, warm } = await createService({
    ...DEFAULTS,
    LOG_REQUESTS: false,
    ...config,
  }, {
    inference: { mode: "workers", workers: 1, jobTimeoutMs: 10_000, ...inferenceOptions },
    now,
    log: log ?? null,
  });
  await warm;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    inference,
    async close() {
      await server.shutdown();
      await inference.close();
    },
  };
}

/** A multipart body with the bytes in field `image`, as the page and Frigate send it. */
export function imageForm(bytes: Uint8Array, field = "image"): FormData {
  const form = new FormData();
  form.append(field, new Blob([bytes as BlobPart], { type: "image/jpeg" }), "snapshot.jpg");
  return form;
}

/** Inserts a COM segment right after SOI: a valid JPEG that carries a marker string. */
export function withComment(jpeg: Uint8Array, comment: string): Uint8Array {
  const body = new TextEncoder().encode(comment);
  const seg = new Uint8Array(4 + body.length);
  seg.set([0xff, 0xfe, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  seg.set(body, 4);
  const out = new Uint8Array(jpeg.length + seg.length);
  out.set(jpeg.subarray(0, 2));
  out.set(seg, 2);
  out.set(jpeg.subarray(2), 2 + seg.length);
  return out;
}
