/** The one place errors become responses: JSON for the APIs, an HTML fragment for the page. */
import type { Context } from "hono";
import { AppError, toAppError } from "../inference/mod.ts";

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
    `<strong>${err.status}</strong> ${escapeHtml(err.message)}</div>`;
}

/** Hono `onError` handler: maps any thrown value to a precise status and body. */
export function renderError(err: unknown, c: Context): Response {
  const e = err instanceof AppError ? err : fromHono(err);
  if (e.status >= 500 && e.code === "internal") console.error(err);
  const headers: Record<string, string> = {};
  if (e.retryAfter !== undefined) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil(e.retryAfter)));
  }
  if (wantsHtml(c)) {
    return c.html(errorFragment(e), e.status as 400, headers);
  }
  return c.json(e.toJSON(), e.status as 400, headers);
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
    const e = new AppError(code, (err as Error).message || `HTTP ${status}`, { cause: err });
    return e;
  }
  return toAppError(err);
}
