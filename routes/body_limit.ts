/** Request body size limits enforced on the bytes actually received, not on what headers claim. */

import type { MiddlewareHandler } from "hono";
import { AppError } from "../inference/mod.ts";

/** Options for {@link bodyLimit}. */
export interface BodyLimitOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Longest wait for the next chunk of the body, in ms (default: no limit). */
  idleTimeoutMs?: number;
  /** Longest time for the whole body, from when this middleware runs, in ms (default: none). */
  timeoutMs?: number;
}

// Initial buffer when the size is unknown: big enough for small images without regrowing.
const UNKNOWN_SIZE_CHUNK = 64 * 1024;

/**
 * Rejects request bodies over `maxBytes` with `AppError("body_too_large")` (413).
 *
 * A Content-Length over the limit is rejected before anything is read. Everything else
 * (chunked uploads, a missing or malformed Content-Length, a Content-Length next to
 * Transfer-Encoding) is counted as it streams: `c.req.raw` is replaced by a request whose body
 * errors past the limit, so `c.req.arrayBuffer()`, `formData()`, `parseBody()` and
 * `c.req.raw.*` all see it. Headers are only ever a reason to reject early, never to skip
 * counting: Hono's own bodyLimit trusted Content-Length when it was present and so could be
 * bypassed by pairing it with `Transfer-Encoding: chunked` (CVE-2025-59139) or by sending a
 * non-numeric value.
 *
 * A client that stops sending (no chunk for `idleTimeoutMs`) or takes over `timeoutMs` for the
 * whole body gets `AppError("body_timeout")` (408): the body is cancelled, so what it had sent
 * is released at once, and the response says `Connection: close`.
 *
 * If the limit or a timeout was hit, the response is that 413 or 408 even when the handler
 * caught the read error and answered something else (or a 500), so the outcome never depends
 * on how a handler reads.
 *
 * Must run before anything reads the body; it throws `AppError("internal")` otherwise, since a
 * body already read (and cached by Hono) cannot be limited any more.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const { maxBytes } = options;
  checkLimit(maxBytes, "body limit middleware");
  return async function bodyLimit(c, next) {
    const raw = c.req.raw;
    if (!raw.body) return await next();
    if (raw.bodyUsed || Object.keys(c.req.bodyCache).length > 0) {
      throw new AppError(
        "internal",
        `Cannot limit the request body of ${raw.method} ${
          new URL(raw.url).pathname
        }: it was read before bodyLimit ran`,
      );
    }
    const declared = contentLength(raw.headers);
    if (declared !== undefined && declared > maxBytes) {
      // The body stays unread: close the connection rather than leave it to drain.
      c.header("Connection", "close");
      throw tooLarge(maxBytes);
    }
    let failed: AppError | undefined;
    const body = limitStream(raw.body, maxBytes, {
      onExceeded: (err) => failed = err,
      idleTimeoutMs: options.idleTimeoutMs,
      deadline: options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs,
    });
    // The new Request follows the original's abort signal, so disconnects are still seen.
    c.req.raw = new Request(raw, { body, duplex: "half" } as RequestInit);
    try {
      await next();
    } finally {
      // A handler that answered without reading everything leaves bytes on the socket.
      if (failed || c.error || !done(body)) c.header("Connection", "close");
    }
    if (failed && c.error !== failed) throw failed;
  };
}

const finished = new WeakSet<ReadableStream>();
const done = (body: ReadableStream) => finished.has(body);

/**
 * Reads a request body into one buffer, rejecting with `AppError("body_too_large")` as soon as
 * more than `maxBytes` arrive. Pre-allocates from a valid Content-Length within the limit, so a
 * well-behaved upload is copied once; a lying one only costs a regrow or a trim.
 */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array> {
  checkLimit(maxBytes, "request body");
  const declared = contentLength(req.headers);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return new Uint8Array(0);
  if (req.bodyUsed) throw new AppError("internal", "Cannot read the request body: already read");
  const reader = req.body.getReader();
  let buffer = new Uint8Array(declared ?? Math.min(maxBytes, UNKNOWN_SIZE_CHUNK));
  let size = 0;
  for (;;) {
    const { done, value } = await readChunk(reader);
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    if (size + value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(size + value.byteLength, buffer.byteLength * 2)),
      );
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(value, size);
    size += value.byteLength;
  }
  return size === buffer.byteLength ? buffer : buffer.subarray(0, size);
}

/**
 * Wraps `source` in a stream that errors with `AppError("body_too_large")` once more than
 * `maxBytes` have passed, cancelling `source` so the rest is never read. Read failures of the
 * source (client hung up mid-body) become `AppError("bad_request")` instead of a bare 500.
 */
export function limitStream(
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
  options: {
    /** Called with the 413 or 408 that ended the stream. */
    onExceeded?: (err: AppError) => void;
    /** Longest wait for one chunk, in ms. */
    idleTimeoutMs?: number;
    /** `Date.now()` by which the whole body must have arrived. */
    deadline?: number;
  } = {},
): ReadableStream<Uint8Array> {
  checkLimit(maxBytes, "body stream");
  const reader = source.getReader();
  let total = 0;
  const fail = async (controller: ReadableStreamDefaultController, err: AppError) => {
    options.onExceeded?.(err);
    controller.error(err);
    // Cancelling hands the connection's buffered bytes back now, not when the client gives up.
    await reader.cancel(err).catch(() => {});
  };
  const stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array> | AppError;
      try {
        chunk = await readWithin(reader, options.idleTimeoutMs, options.deadline);
      } catch (err) {
        controller.error(err);
        return;
      }
      if (chunk instanceof AppError) return await fail(controller, chunk);
      if (chunk.done) {
        finished.add(stream);
        return controller.close();
      }
      total += chunk.value.byteLength;
      if (total > maxBytes) return await fail(controller, tooLarge(maxBytes));
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
    // Read only when someone asks, so a body nobody reads is never pulled off the socket.
  }, { highWaterMark: 0 });
  return stream;
}

/** The next chunk, or the 408 when none came within the idle time or before the deadline. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number | undefined,
  deadline: number | undefined,
): Promise<ReadableStreamReadResult<Uint8Array> | AppError> {
  if (idleMs === undefined && deadline === undefined) return await readChunk(reader);
  const left = deadline === undefined ? Infinity : deadline - Date.now();
  const wait = Math.min(idleMs ?? Infinity, left);
  const timeout = (): AppError =>
    wait === left
      ? new AppError("body_timeout", "The request body took too long to arrive; send it faster")
      : new AppError(
        "body_timeout",
        `The request body stalled: nothing arrived for ${idleMs} ms; send it without pauses`,
      );
  if (wait <= 0) return timeout();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<AppError>((resolve) => {
    timer = setTimeout(() => resolve(timeout()), wait);
  });
  const read = readChunk(reader);
  // Abandoned on a timeout: its late failure (the cancel) must not go unhandled.
  read.catch(() => {});
  try {
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The declared Content-Length, or undefined when absent or not a plain decimal number. */
export function contentLength(headers: Headers): number | undefined {
  const value = headers.get("content-length")?.trim();
  // Strict: parseInt("12abc") is 12 and parseInt("abc") is NaN, both of which have let
  // oversized bodies through other limiters. Unknown means "count the bytes".
  if (!value || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new AppError("bad_request", `Cannot read the request body: ${message}`, { cause: err });
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("body_too_large", `Request body is over the ${maxBytes}-byte limit`);
}

function checkLimit(maxBytes: number, what: string): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(
      `Cannot limit the ${what}: maxBytes must be a non-negative integer, got ${maxBytes}`,
    );
  }
}
