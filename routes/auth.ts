/** Optional API keys: constant-time matching, the Bearer middleware and the caller's key id. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../inference/mod.ts";

/** Matches presented keys against the configured ones without leaking which or how much. */
export interface KeyRing {
  /** How many keys are configured; 0 means the APIs are open. */
  readonly size: number;
  /** The index of the matching key, or -1. */
  match(presented: string | undefined): number;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Builds the key ring. Keys are compared as SHA-256 digests, so every comparison is over 32
 * bytes whatever the lengths (a plain compare leaks the length, and `timingSafeEqual` throws
 * on unequal lengths), and every configured key is compared, so the time does not say which
 * one matched either.
 */
export function keyRing(keys: readonly string[]): KeyRing {
  const digests = keys.map(digest);
  return {
    size: digests.length,
    match(presented) {
      if (presented === undefined || digests.length === 0) return -1;
      const d = digest(presented);
      let found = -1;
      for (let i = 0; i < digests.length; i++) {
        if (timingSafeEqual(d, digests[i]) && found < 0) found = i;
      }
      return found;
    },
  };
}

/** The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, RFC 6750). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  return m?.[1];
}

// Context variable holding "key:N" once a request proved key N; never the key itself, so
// logs, the rate limiter's memory and heap dumps hold no secret.
const KEY_ID = "apiKeyId" as never;

/** "key:N" when this request authenticated with configured key N, else undefined. */
export function apiKeyId(c: Context): string | undefined {
  return c.get(KEY_ID) as string | undefined;
}

/** Records that this request proved key `index` (for the rate limiter). */
export function setApiKeyId(c: Context, index: number): void {
  c.set(KEY_ID, `key:${index}` as never);
}

export interface ApiKeyAuthOptions {
  keys: KeyRing;
  /**
   * When true, a request without an Authorization header is let through for the handler to
   * check a key sent another way (the DeepStack `api_key` form field, which is in the body);
   * a header that is present must still be right.
   */
  allowMissing?: boolean;
  /**
   * Called on every wrong or missing key before the 401, to spend the client's tokens: it
   * throws the 429 once they are gone, so keys cannot be guessed at line rate.
   */
  onFailure?: (c: Context) => void;
}

/**
 * Requires `Authorization: Bearer KEY` with a configured key, or answers 401 with a
 * `WWW-Authenticate` challenge. Looks only at the header, so a bad key is refused before the
 * body is read; `onFailure` makes it cost a token of the client's (by address). Passes
 * everything when no keys are configured.
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): MiddlewareHandler {
  const { keys, allowMissing = false, onFailure } = options;
  return async function apiKeyAuth(c, next) {
    if (keys.size === 0) return await next();
    const header = c.req.header("Authorization");
    if (header === undefined && allowMissing) return await next();
    const index = keys.match(bearerToken(header));
    if (index < 0) {
      onFailure?.(c);
      // Set before throwing: the error renderer keeps headers set on the context.
      c.header("WWW-Authenticate", 'Bearer realm="nothotdog"');
      throw new AppError(
        "unauthorized",
        header === undefined
          ? "Send an API key: Authorization: Bearer KEY"
          : "The API key is not valid (expected Authorization: Bearer KEY)",
      );
    }
    setApiKeyId(c, index);
    await next();
  };
}
