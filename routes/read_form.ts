/** The one way routes read a form upload: under the body limit, whose own error wins. */
import { AppError } from "../inference/mod.ts";

/** Options for {@link readForm}. */
export interface ReadFormOptions {
  /**
   * The error for a body that claims to be a form but cannot be parsed as one (default:
   * `bad_request`, "Cannot read the form: " and the parser's reason).
   */
  malformed?: (cause: unknown) => AppError;
}

// The media types a form arrives in (Hono's parseBody() reads the same two).
const FORM_TYPES = new Set(["multipart/form-data", "application/x-www-form-urlencoded"]);

/**
 * The request's form, or `undefined` (the body left unread) when its Content-Type is not
 * multipart/form-data or application/x-www-form-urlencoded.
 *
 * The body is read from `req` as it is, so the route's `bodyLimit` (which replaced the request
 * with one whose body counts its bytes) still counts it. When that limit or its timeout ended
 * the body, its 413 or 408 is thrown as it is: the form parser reports it bare or as the cause
 * of its own TypeError, and it must not become a malformed form. Any other failure is
 * `options.malformed(err)`.
 */
export async function readForm(
  req: Request,
  options: ReadFormOptions = {},
): Promise<FormData | undefined> {
  const type = req.headers.get("Content-Type")?.split(";")[0].trim().toLowerCase() ?? "";
  if (!FORM_TYPES.has(type)) return undefined;
  try {
    return await req.formData();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if ((err as Error)?.cause instanceof AppError) throw (err as Error).cause;
    throw (options.malformed ?? badForm)(err);
  }
}

function badForm(cause: unknown): AppError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new AppError("bad_request", `Cannot read the form: ${why}`, { cause });
}
