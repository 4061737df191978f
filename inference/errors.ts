/** The one application error type: a machine-readable code, a message, a cause and a retry hint. */

/**
 * Every failure the service can report. Inference knows no HTTP: `routes/` maps each code to
 * the status it is served with (routes/error_status.ts).
 */
export const ERROR_CODES = [
  // Request shape.
  "bad_request",
  "empty_input",
  "missing_field",
  "invalid_parameter",
  "unauthorized",
  "not_found",
  /** The client stopped sending its body (idle) or took too long over all of it. */
  "body_timeout",
  // Size limits.
  "body_too_large",
  "too_many_pixels",
  "image_too_large",
  /** More scans, or more pixels x scans, than a decode may cost (jpeg_probe.ts). */
  "too_many_scans",
  // Types the decoder refuses.
  "unsupported_media_type",
  "not_jpeg",
  "not_image",
  "unsupported_jpeg",
  "unsupported_image",
  // Bytes that claim to be a JPEG, PNG or WebP but are not a valid one.
  "corrupt_jpeg",
  "corrupt_image",
  "zero_dimensions",
  // Admission control.
  "rate_limited",
  "overloaded",
  "unavailable",
  "timeout",
  // Ours.
  "decode_failed",
  "model_invalid",
  "internal",
] as const;

export type ErrorCode = typeof ERROR_CODES[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for a string that is one of the {@link ERROR_CODES}. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && KNOWN_CODES.has(code);
}

/** An error with a stable `code` for clients, a message for people and a retry hint. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Seconds a client should wait before retrying (overload and unavailability only). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.retryAfter = options.retryAfter;
  }

  /** The JSON body every native API error is served with. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError("internal", `Internal error: ${message}`, { cause: err });
}

/** An error's cause as plain data, for what structured clone keeps of an Error. */
export interface WireCause {
  name: string;
  message: string;
  stack?: string;
  /** A string `code` the cause carried (an AppError's, or a Node-style `ENOENT`). */
  code?: string;
  cause?: WireCause;
}

/** An AppError as plain data that crosses a worker boundary (postMessage) intact. */
export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfter?: number;
  stack?: string;
  cause?: WireCause;
}

// Causes nest rarely more than twice; the bound keeps a cyclic chain from recursing forever.
const MAX_CAUSE_DEPTH = 4;

/** Anything thrown, as an AppError in plain data: code, message, retry hint, stack and cause. */
export function toWireError(err: unknown): WireError {
  const e = toAppError(err);
  const wire: WireError = { code: e.code, message: e.message };
  if (e.retryAfter !== undefined) wire.retryAfter = e.retryAfter;
  if (e.stack !== undefined) wire.stack = e.stack;
  const cause = toWireCause(e.cause, MAX_CAUSE_DEPTH);
  if (cause) wire.cause = cause;
  return wire;
}

/**
 * The AppError a {@link toWireError} describes, its cause rebuilt as an Error with the name,
 * message and stack it had. A code this side does not know (a newer worker) becomes `internal`.
 */
export function fromWireError(wire: WireError): AppError {
  const code = isErrorCode(wire?.code) ? wire.code : "internal";
  const message = typeof wire?.message === "string" ? wire.message : String(wire?.message);
  const e = new AppError(code, message, {
    cause: fromWireCause(wire?.cause, MAX_CAUSE_DEPTH),
    retryAfter: typeof wire?.retryAfter === "number" ? wire.retryAfter : undefined,
  });
  if (typeof wire?.stack === "string") e.stack = wire.stack;
  return e;
}

function toWireCause(cause: unknown, depth: number): WireCause | undefined {
  if (cause === undefined || depth === 0) return undefined;
  if (!(cause instanceof Error)) return { name: typeof cause, message: String(cause) };
  const wire: WireCause = { name: cause.name, message: cause.message };
  if (cause.stack !== undefined) wire.stack = cause.stack;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === "string") wire.code = code;
  const inner = toWireCause(cause.cause, depth - 1);
  if (inner) wire.cause = inner;
  return wire;
}

function fromWireCause(wire: WireCause | undefined, depth: number): Error | undefined {
  if (!wire || depth === 0) return undefined;
  const cause = fromWireCause(wire.cause, depth - 1);
  const err = isErrorCode(wire.code) && wire.name === "AppError"
    ? new AppError(wire.code, wire.message, { cause })
    : new Error(wire.message, cause === undefined ? undefined : { cause });
  err.name = wire.name;
  if (wire.stack !== undefined) err.stack = wire.stack;
  if (wire.code !== undefined && !(err instanceof AppError)) {
    (err as Error & { code?: string }).code = wire.code;
  }
  return err;
}
