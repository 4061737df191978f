// Snapshot pacing, pure: what to send next, how an answer went, how long to wait, answer rate.

/** Back-pressure, not failure: wait as the server says, then send again. */
const BUSY = new Set([429, 503]);

/** How long to wait when the server is busy but does not say (s). */
const DEFAULT_RETRY_S = 2;

/** How long to wait before trying a server that did not answer at all (s). */
export const UNREACHABLE_RETRY_S = 3;

/** How long to wait after a refused camera snapshot, so frames it cannot answer do not hammer it (ms). */
export const REFUSED_PAUSE_MS = 1000;

/** The window the answer rate is measured over (ms). */
const RATE_WINDOW_MS = 3000;

/**
 * What the loop should send now: the pending photo, a fresh camera frame, or nothing (`null`).
 * Latest frame wins: a frame is taken only when it can be sent, one request is out at a time,
 * and a frame is due only once the video has shown one newer than the last snapshot.
 * @param {{
 *   mode: "none" | "camera" | "photo",
 *   paused: boolean,
 *   inFlight: boolean,
 *   hidden: boolean,
 *   photoPending: boolean,
 *   frameDue: boolean,
 *   hasFrame: boolean,
 *   retryAt: number,
 *   lastSentAt: number,
 *   minInterval: number,
 * }} loop
 * @param {number} now the same clock as `retryAt` and `lastSentAt` (ms)
 * @returns {"photo" | "frame" | null}
 */
export function nextSend(loop, now) {
  if (loop.inFlight || now < loop.retryAt || loop.hidden) return null;
  if (loop.mode === "photo" && loop.photoPending) return "photo";
  if (loop.mode !== "camera" || loop.paused || !loop.frameDue || !loop.hasFrame) return null;
  // Too soon for the server's rate limit: the next video frame will ask again.
  if (now - loop.lastSentAt < loop.minInterval) return null;
  return "frame";
}

/**
 * How a snapshot's request went, from its HTTP status (0: no answer; -1: never sent).
 * @param {number} status
 * @returns {"answer" | "busy" | "unreachable" | "refused" | null}
 */
export function outcome(status) {
  if (status === 200) return "answer";
  if (BUSY.has(status)) return "busy";
  if (status === 0) return "unreachable";
  if (status >= 400) return "refused";
  return null;
}

/**
 * The gap between snapshots (ms) that keeps under the server's advertised rate limit
 * (`RateLimit-Policy: "default";q=20;w=2` is 20 requests per 2 s), with 5 % to spare, so a fast
 * server is not asked for more and then told to wait. 0 when there is no policy.
 * @param {string | null} policy the `RateLimit-Policy` header
 * @returns {number}
 */
export function minInterval(policy) {
  const q = Number(/;\s*q=([\d.]+)/.exec(policy ?? "")?.[1]);
  const w = Number(/;\s*w=([\d.]+)/.exec(policy ?? "")?.[1]);
  return q > 0 && w > 0 ? (w * 1000 / q) * 1.05 : 0;
}

/**
 * Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date; 2 when it is
 * missing or unreadable, never negative.
 * @param {string | null} header
 * @param {number} nowMs wall-clock time, as `Date.now()`
 * @returns {number}
 */
export function retryAfterSeconds(header, nowMs) {
  if (!header) return DEFAULT_RETRY_S;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? DEFAULT_RETRY_S : Math.max(0, (date - nowMs) / 1000);
}

/**
 * The server's own total from its `Server-Timing` header (ms), or null.
 * @param {string | null} header
 * @returns {number | null}
 */
export function serverTotal(header) {
  const match = /(?:^|,)\s*total;dur=([\d.]+)/.exec(header ?? "");
  return match ? Number(match[1]) : null;
}

/**
 * Adds an answer at `now` to the recent answer times and measures their rate.
 * @param {number[]} times earlier answer times, oldest first (ms)
 * @param {number} now
 * @returns {{ times: number[], fps: number }} the times still in the window, and answers per second
 */
export function answerRate(times, now) {
  const recent = [...times, now].filter((t) => now - t <= RATE_WINDOW_MS);
  const span = recent.length > 1 ? (now - recent[0]) / 1000 : 0;
  return { times: recent, fps: span > 0 ? (recent.length - 1) / span : 0 };
}
