/** Per-client token-bucket rate limiting for one isolate: the pure buckets and the Hono middleware. */

import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../inference/mod.ts";

/** Options for {@link TokenBuckets}. */
export interface TokenBucketsOptions {
  /** Tokens added per second. */
  rate: number;
  /** Bucket capacity: how many requests a rested client may send at once. */
  burst: number;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
  /** Most clients tracked at once; past it the least recently seen is forgotten. */
  maxClients?: number;
  /** Idle buckets examined per `take()` to reclaim memory without a timer. */
  sweepPerCall?: number;
}

/** The verdict for one request. */
export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again (rounded up). */
  resetSeconds: number;
  /** When denied: seconds until one token is available (rounded up, at least 1); else 0. */
  retryAfterSeconds: number;
}

// Float slack so that e.g. rate 3/s does not deny the third request over 1e-13 ms of rounding.
const EPSILON_MS = 1e-6;

/**
 * Token buckets keyed by client.
 *
 * Each bucket is stored as one number: the time at which it will be full again ("full at"), as
 * in GCRA. That is the same as a token bucket (tokens = burst - (fullAt - now) * rate) but one
 * number per client, and "full" is simply `fullAt <= now`. A full bucket behaves exactly like
 * an absent one, so full buckets are deleted: idle clients cost nothing.
 *
 * The Map doubles as an LRU list (a touched key is re-inserted at the end), which gives two
 * cheap bounds without timers: each `take()` inspects a few of the least recently seen buckets
 * and deletes those that are full, and `maxClients` evicts the least recently seen when a flood
 * of distinct keys arrives. Evicting a bucket hands that client a fresh burst; that is the price
 * of bounded memory and only hits clients idle longer than everyone else.
 */
export class TokenBuckets {
  readonly rate: number;
  readonly burst: number;
  readonly #now: () => number;
  readonly #maxClients: number;
  readonly #sweepPerCall: number;
  /** Milliseconds one token takes to refill. */
  readonly #interval: number;
  /** Milliseconds an empty bucket takes to fill: the most debt a bucket can carry. */
  readonly #capacity: number;
  readonly #fullAt = new Map<string, number>();

  constructor(options: TokenBucketsOptions) {
    const { rate, burst, now = Date.now, maxClients = 100_000, sweepPerCall = 2 } = options;
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new RangeError(
        `Cannot create token buckets: rate must be a positive number, got ${rate}`,
      );
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(
        `Cannot create token buckets: burst must be an integer >= 1, got ${burst}`,
      );
    }
    if (!Number.isInteger(maxClients) || maxClients < 1) {
      throw new RangeError(
        `Cannot create token buckets: maxClients must be an integer >= 1, got ${maxClients}`,
      );
    }
    this.rate = rate;
    this.burst = burst;
    this.#now = now;
    this.#maxClients = maxClients;
    this.#sweepPerCall = sweepPerCall;
    this.#interval = 1000 / rate;
    this.#capacity = burst * this.#interval;
  }

  /** Number of clients whose bucket is not full (tracked in memory). */
  get size(): number {
    return this.#fullAt.size;
  }

  /**
   * Takes `tokens` (default 1, at most `burst`) from `key`'s bucket if it holds that many; a
   * denied request takes nothing.
   */
  take(key: string, tokens = 1): TakeResult {
    const now = this.#now();
    this.#sweep(now);
    const stored = this.#fullAt.get(key);
    // Debt: how far in the future the bucket is full; 0 means full (or never seen).
    const debt = stored === undefined ? 0 : Math.max(0, stored - now);
    const after = debt + Math.min(Math.max(tokens, 1), this.burst) * this.#interval;
    if (after > this.#capacity + EPSILON_MS) {
      // Denied requests cost nothing, so a client that keeps hammering still recovers on schedule.
      this.#touch(key, now + debt, now);
      return {
        allowed: false,
        remaining: 0,
        resetSeconds: Math.ceil(debt / 1000),
        retryAfterSeconds: Math.max(1, Math.ceil((after - this.#capacity) / 1000)),
      };
    }
    this.#touch(key, now + after, now);
    return {
      allowed: true,
      remaining: Math.floor((this.#capacity - after + EPSILON_MS) / this.#interval),
      resetSeconds: Math.ceil(after / 1000),
      retryAfterSeconds: 0,
    };
  }

  /** Stores `fullAt` for `key` as the most recently seen entry, enforcing the cap. */
  #touch(key: string, fullAt: number, now: number): void {
    // Delete first so the key moves to the end of the Map's insertion order (LRU).
    this.#fullAt.delete(key);
    if (fullAt <= now) return;
    this.#fullAt.set(key, fullAt);
    if (this.#fullAt.size > this.#maxClients) {
      const oldest = this.#fullAt.keys().next().value as string;
      this.#fullAt.delete(oldest);
    }
  }

  /**
   * Deletes full buckets among the least recently seen. Stops at the first non-full one: in LRU
   * order everything seen more than `burst / rate` seconds ago is full, so the head of the list
   * is where the reclaimable entries are, and the work per call stays bounded.
   */
  #sweep(now: number): void {
    let budget = this.#sweepPerCall;
    for (const [key, fullAt] of this.#fullAt) {
      if (budget-- <= 0 || fullAt > now) return;
      this.#fullAt.delete(key);
    }
  }
}

/** Derives the rate-limit key (the client identity) from a request. */
export type KeyFn = (c: Context) => string;

/** Options for {@link rateLimit}. */
export interface RateLimitOptions {
  /** Tokens added per second. */
  rate: number;
  /** Bucket capacity. */
  burst: number;
  /** Who is being limited; see {@link clientKey}. */
  key: KeyFn;
  now?: () => number;
  maxClients?: number;
  /**
   * The buckets to take from, when other code spends the same clients' tokens (failed API
   * keys, the cost of a large image); default: buckets of this middleware's own.
   */
  buckets?: TokenBuckets;
}

/**
 * Rate-limits requests per client and advertises the limit with the IETF RateLimit fields
 * (draft-ietf-httpapi-ratelimit-headers-10: `RateLimit-Policy: "default";q=10;w=5` and
 * `RateLimit: "default";r=3;t=2`). The policy says "q requests per w seconds" with
 * w = burst / rate, which states both the burst and the sustained rate.
 *
 * Throws `AppError("rate_limited")` with `retryAfter` when the client is out of tokens. The
 * headers are set with `c.header()` before throwing, so an error handler that renders through
 * `c.json()` / `c.html()` keeps them.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const buckets = options.buckets ?? new TokenBuckets(options);
  const { rate, burst, key } = options;
  const window = Math.max(1, Math.ceil(burst / rate));
  const policy = `"default";q=${burst};w=${window}`;
  return async function rateLimit(c, next) {
    const result = buckets.take(key(c));
    const state = `"default";r=${result.remaining};t=${result.resetSeconds}`;
    c.header("RateLimit-Policy", policy);
    c.header("RateLimit", state);
    if (!result.allowed) throw rateLimited(buckets, result);
    await next();
    // Again after next(): a handler may have returned its own Response, which drops the
    // headers prepared above.
    c.header("RateLimit-Policy", policy);
    c.header("RateLimit", state);
  };
}

/** The 429 for a denied take, saying the limit and when to retry. */
export function rateLimited(
  buckets: TokenBuckets,
  result: TakeResult,
  what = "requests",
): AppError {
  const retry = result.retryAfterSeconds;
  return new AppError(
    "rate_limited",
    `Too many ${what} from this client: limit is ${buckets.rate}/s with burst ${buckets.burst}; ` +
      `retry in ${retry} s`,
    { retryAfter: retry },
  );
}

/** Options for {@link clientKey}. */
export interface ClientKeyOptions {
  /**
   * The service sits behind a reverse proxy that appends the peer address to
   * `X-Forwarded-For`. Never set this when clients can reach the service directly: they could
   * then pick their own key.
   */
  trustProxy: boolean;
}

/**
 * Returns a key function that identifies the client by network address.
 *
 * Without `trustProxy`, `X-Forwarded-For` is ignored entirely and the key is the TCP peer
 * (`c.env.remoteAddr.hostname`, which `Deno.serve(app.fetch)` provides; "unknown" when there
 * is none, as with `app.request()`).
 *
 * With `trustProxy`, the key is the LAST `X-Forwarded-For` entry: the one our proxy appended
 * from the connection it saw. Earlier entries are whatever the client sent and are trivially
 * spoofed, so taking the first entry would let anyone mint a fresh bucket per request. This
 * assumes exactly one trusted proxy hop. An entry that is not an IP address (RFC 7239's
 * "unknown", an obfuscated name) keys as the proxy's own address: one shared bucket rather
 * than one per spelling.
 *
 * Every address is keyed in one canonical spelling ({@link normalizeAddress}), so a port, leading
 * zeros, octal or hex parts or an IPv4-mapped IPv6 form cannot mint another bucket.
 *
 * To limit by API key when one is configured, compose:
 * `key: (c) => apiKeyOf(c) ? `key:${apiKeyOf(c)}` : ip(c)` (prefix so the namespaces cannot
 * collide).
 */
export function clientKey(options: ClientKeyOptions): KeyFn {
  const { trustProxy } = options;
  return function clientKey(c) {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for");
      const last = forwarded?.split(",").at(-1)?.trim();
      const key = last ? normalizeAddress(last) : undefined;
      if (key) return key;
    }
    const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
    const hostname = env?.remoteAddr?.hostname;
    return (hostname && normalizeAddress(hostname)) || hostname || "unknown";
  };
}

/**
 * Maps an address to its rate-limit identity, or undefined when it is not an IP address.
 * Accepts what proxies and Deno write: `203.0.113.7`, `203.0.113.7:5678`, `[2001:db8::1]:443`,
 * `2001:db8::1`, `fe80::1%eth0`. IPv4 is parsed as the WHATWG URL standard (and inet_aton)
 * does, so `127.000.000.001`, `0177.0.0.1` and `0x7f.1` are all 127.0.0.1; IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is that IPv4 address; other IPv6 is keyed by its /64
 * prefix, because one subscriber usually owns a whole /64 and could otherwise rotate addresses
 * to dodge the limit.
 */
export function normalizeAddress(address: string): string | undefined {
  const text = address.trim().toLowerCase();
  let host: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return undefined;
    host = text.slice(1, close);
  } else {
    // One colon is IPv4 with a port; more are a bare IPv6 address.
    host = text.split(":").length === 2 ? text.slice(0, text.indexOf(":")) : text;
  }
  host = host.replace(/%.*$/, "");
  if (!host.includes(":")) return canonicalIpv4(host);
  const v6 = canonicalIpv6(host);
  if (!v6) return undefined;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const groups = expandIpv6(v6);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : undefined;
}

/** Dotted-quad IPv4 as the URL parser spells it, or undefined for anything else. */
function canonicalIpv4(host: string): string | undefined {
  if (!/^[0-9a-fx.]+$/.test(host)) return undefined;
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    return /^\d+\.\d+\.\d+\.\d+$/.test(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** IPv6 in the URL parser's compressed lower-case form, without brackets, or undefined. */
function canonicalIpv6(host: string): string | undefined {
  if (!/^[0-9a-f:.]+$/.test(host)) return undefined;
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** Expands a canonical IPv6 address to its eight hextets, or null when it is not one. */
function expandIpv6(address: string): string[] | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.replace(/^0+(?=.)/, ""));
}
