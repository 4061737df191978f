/** The one application error type: a machine-readable code, an HTTP status and a cause. */

/** Every failure the service can report, with the HTTP status it maps to. */
export const ERROR_STATUS = {
  // Request shape.
  bad_request: 400,
  empty_input: 400,
  missing_field: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  not_found: 404,
  /** The client stopped sending its body (idle) or took too long over all of it. */
  body_timeout: 408,
  // Size limits.
  body_too_large: 413,
  too_many_pixels: 413,
  image_too_large: 413,
  /** More scans, or more pixels x scans, than a decode may cost (jpeg_probe.ts). */
  too_many_scans: 413,
  // Types the decoder refuses.
  unsupported_media_type: 415,
  not_jpeg: 415,
  not_image: 415,
  unsupported_jpeg: 415,
  unsupported_image: 415,
  // Bytes that claim to be a JPEG, PNG or WebP but are not a valid one.
  corrupt_jpeg: 422,
  corrupt_image: 422,
  zero_dimensions: 422,
  // Admission control.
  rate_limited: 429,
  overloaded: 503,
  unavailable: 503,
  timeout: 503,
  // Ours.
  decode_failed: 500,
  model_invalid: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error with a stable `code` for clients and the HTTP `status` it is served with. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds a client should wait before retrying (429 and 503 only). */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfter = options.retryAfter;
  }

  /** The JSON body every API error is served with. */
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
