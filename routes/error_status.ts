/** The HTTP status each error code is served with: the one place codes meet HTTP. */
import type { ErrorCode } from "../inference/mod.ts";

/** Every error code with its HTTP status, in the order the API documents them. */
export const ERROR_STATUS = {
  // Request shape.
  bad_request: 400,
  empty_input: 400,
  missing_field: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  not_found: 404,
  body_timeout: 408,
  // Size limits.
  body_too_large: 413,
  too_many_pixels: 413,
  image_too_large: 413,
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
} as const satisfies Record<ErrorCode, number>;

/** The HTTP status an error with this code is served with. */
export function errorStatus(code: ErrorCode): (typeof ERROR_STATUS)[ErrorCode] {
  return ERROR_STATUS[code];
}
