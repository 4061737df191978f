/** A detector that is a running server: posts images to its /api/v1/detect for the CLI's --url. */
import { type DetectResult, sniffFormat } from "../inference/mod.ts";

/** A failure the server reported (its JSON error body), or a transport failure for one file. */
export class RemoteError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "RemoteError";
    this.code = code;
  }
}

/** The server cannot be reached at all: no point trying the other files. */
export class UnreachableError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "UnreachableError";
  }
}

export interface RemoteOptions {
  conf?: number;
  iou?: number;
  max?: number;
  /** Sent as `Authorization: Bearer KEY`. */
  apiKey?: string;
  /** Per-request limit in ms; the server has its own job timeout, this guards a hung one. */
  timeoutMs?: number;
  /** Retries of a 429/503 after the server's Retry-After (capped), before giving up. */
  retries?: number;
  /** Longest wait honoured from Retry-After, in seconds. */
  maxRetryAfter?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** What the server adds to a detection besides the result: dropped, so lines match local runs. */
type ServerAnswer = DetectResult & { model?: unknown };

/** Posts to `<base>/api/v1/detect` with the thresholds the user gave (the server's otherwise). */
export function remoteDetector(base: string, options: RemoteOptions = {}) {
  const endpoint = detectUrl(base, options);
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const retries = options.retries ?? 5;
  const maxRetryAfter = options.maxRetryAfter ?? 30;
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined) headers.Authorization = `Bearer ${options.apiKey}`;

  async function post(bytes: Uint8Array): Promise<Response> {
    try {
      return await doFetch(endpoint, {
        method: "POST",
        // The server sniffs the format; the type only has to name one it reads raw.
        headers: { ...headers, "Content-Type": `image/${sniffFormat(bytes) ?? "jpeg"}` },
        body: bytes as BodyInit,
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      });
    } catch (err) {
      if ((err as Error)?.name === "TimeoutError") {
        throw new RemoteError("timeout", `No answer from ${endpoint.origin} in time`, {
          cause: err,
        });
      }
      // fetch fails with a TypeError when there is no HTTP exchange at all.
      const reason = (err as Error)?.message ?? String(err);
      throw new UnreachableError(`cannot reach ${endpoint.origin}: ${reason}`, { cause: err });
    }
  }

  return {
    endpoint,
    async detect(bytes: Uint8Array): Promise<DetectResult> {
      for (let attempt = 0;; attempt++) {
        const res = await post(bytes);
        const text = await res.text();
        if (res.ok) {
          const { model: _model, ...result } = parse(text, res) as ServerAnswer;
          return result;
        }
        const retryAfter = Number(res.headers.get("Retry-After"));
        // Back-pressure, not failure: wait as told, a few times, then report it.
        if ((res.status === 429 || res.status === 503) && attempt < retries && retryAfter > 0) {
          await sleep(Math.min(retryAfter, maxRetryAfter) * 1000);
          continue;
        }
        const error = (parse(text, res, true) as { error?: { code?: string; message?: string } })
          ?.error;
        if (typeof error?.code === "string" && typeof error.message === "string") {
          throw new RemoteError(error.code, error.message);
        }
        throw new RemoteError(
          "bad_response",
          `HTTP ${res.status} from ${endpoint.origin}: ${text.slice(0, 200)}`,
        );
      }
    },
  };
}

/** `<base>/api/v1/detect?...`, keeping a path prefix (a server behind a reverse proxy). */
function detectUrl(base: string, options: RemoteOptions): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UnreachableError(`cannot use --url ${base}: not a URL (e.g. http://host:8000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UnreachableError(`cannot use --url ${base}: only http and https`);
  }
  const endpoint = new URL(`${url.pathname.replace(/\/*$/, "")}/api/v1/detect`, url);
  for (
    const [name, value] of [["conf", options.conf], ["iou", options.iou], ["max", options.max]]
  ) {
    if (value !== undefined) endpoint.searchParams.set(name as string, String(value));
  }
  return endpoint;
}

function parse(text: string, res: Response, quiet = false): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (quiet) return undefined;
    throw new RemoteError(
      "bad_response",
      `HTTP ${res.status} but not JSON: ${text.slice(0, 200)}`,
      { cause: err },
    );
  }
}
