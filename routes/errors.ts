/**
 * The one place errors become responses, in two dialects: native (JSON for the API, an HTML
 * fragment for the page's htmx requests) and DeepStack's (everything under /v1).
 */
import type { Context, MiddlewareHandler } from "hono";
import { AppError, type ErrorCode, toAppError } from "../inference/mod.ts";
import { DEEPSTACK_ERRORS, type DeepStackError } from "./api_schemas.ts";
import { errorStatus } from "./error_status.ts";

// The context variable naming the dialect; absent means native.
const DIALECT = "errorDialect";

/** True when the client asked for HTML (the page's htmx requests), not JSON. */
export function wantsHtml(c: Context): boolean {
  if (c.req.header("HX-Request") === "true") return true;
  const accept = c.req.header("Accept") ?? "";
  return accept.includes("text/html") && !accept.includes("application/json");
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The fragment the page swaps in when a snapshot fails: the verdict area says what went wrong. */
export function errorFragment(err: AppError): string {
  return `<div class="error" role="alert" data-error-code="${err.code}">` +
    `<strong>${errorStatus(err.code)}</strong> ${escapeHtml(err.message)}</div>`;
}

/**
 * Makes {@link renderError} answer in DeepStack's shape for every request this runs for, so
 * that an error raised anywhere after it (API key, rate limit, full queue, body limit, the
 * compat handlers) reaches a DeepStack client as one it can read. It only marks the request:
 * the response is rendered once, by the app's one error handler.
 */
export function deepStackErrors(): MiddlewareHandler {
  return async function deepStackErrors(c, next) {
    c.set(DIALECT as never, "deepstack" as never);
    await next();
  };
}

/** Hono `onError` handler: maps any thrown value to a precise status and body, in its dialect. */
export function renderError(err: unknown, c: Context): Response {
  const e = err instanceof AppError ? err : fromHono(err);
  // Internal failures keep their details in the server log; the client gets the short story.
  if (e.code === "internal") console.error(err);
  const headers: Record<string, string> = {};
  if (e.retryAfter !== undefined) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil(e.retryAfter)));
  }
  if (c.get(DIALECT as never) === "deepstack") {
    const { status, body } = deepStackError(e);
    return c.json(body, status as 400, headers);
  }
  const status = errorStatus(e.code);
  if (wantsHtml(c)) return c.html(errorFragment(e), status as 400, headers);
  return c.json(e.toJSON(), status as 400, headers);
}

// Errors about the image's content: DeepStack answers all of them 400 "invalid image file".
const INVALID_IMAGE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "empty_input",
  "not_jpeg",
  "not_image",
  "unsupported_jpeg",
  "unsupported_image",
  "corrupt_jpeg",
  "corrupt_image",
  "zero_dimensions",
]);
// Errors about where the image should be: DeepStack's 400 "No valid image file found".
const NO_IMAGE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "missing_field",
  "unsupported_media_type",
]);

/** The DeepStack-shaped body and status for an error, from the same AppError as everywhere. */
export function deepStackError(err: unknown): { status: number; body: DeepStackError } {
  const e = toAppError(err);
  const body = (error: string) => ({ success: false as const, error, duration: 0 });
  if (e.code === "unauthorized") return { status: 401, body: body(DEEPSTACK_ERRORS.badKey) };
  if (NO_IMAGE.has(e.code)) return { status: 400, body: body(DEEPSTACK_ERRORS.noImage) };
  if (INVALID_IMAGE.has(e.code)) {
    // DeepStack's words first (tools may show them), then ours, which say what to fix.
    return { status: 400, body: body(`${DEEPSTACK_ERRORS.invalidImage}: ${e.message}`) };
  }
  const status = errorStatus(e.code);
  // Internal failures keep their details in the server log, as DeepStack does.
  if (status === 500) return { status, body: body(DEEPSTACK_ERRORS.server) };
  return { status, body: body(e.message) };
}

// Hono raises HTTPException for its own checks; keep their status with our body shape.
function fromHono(err: unknown): AppError {
  const status = (err as { status?: number })?.status;
  if (typeof status === "number" && status >= 400 && status < 600) {
    const code = status === 413
      ? "body_too_large"
      : status === 404
      ? "not_found"
      : status === 401
      ? "unauthorized"
      : status < 500
      ? "bad_request"
      : "internal";
    return new AppError(code, (err as Error).message || `HTTP ${status}`, { cause: err });
  }
  return toAppError(err);
}
