/** Decodes a JPEG to RGBA with mozjpeg (WASM), only after the probe has vetted its headers. */

import factory from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import { onModule } from "./_emscripten.ts";
import { AppError } from "./errors.ts";
import { type JpegInfo, probeJpeg, type ProbeOptions } from "./jpeg_probe.ts";
import type { RgbaImage } from "./orientation.ts";

/** A decoded JPEG: RGBA pixels as stored, NOT rotated by the EXIF orientation in `info`. */
export interface DecodedImage {
  info: JpegInfo;
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, rows top to bottom; a copy the caller owns. */
  data: Uint8ClampedArray;
}

export type DecodeOptions = ProbeOptions;

/** Counters for health checks and tests. */
export interface JpegDecoderStats {
  /** Images handed to the WASM decoder. */
  calls: number;
  /** Of those, how many it failed or we refused afterwards. */
  failures: number;
  /** WASM instances thrown away to give their memory back. */
  resets: number;
  /** Linear memory of the live instance (0 when none). */
  heapBytes: number;
}

/**
 * Probes the headers, then decodes. Everything that goes wrong is an AppError: the probe's
 * refusals, `corrupt_jpeg`/`unsupported_jpeg` when libjpeg rejects the data (its own message
 * in the text), `decode_failed` for anything else. libjpeg's messages never reach stderr.
 */
export async function decodeJpeg(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  // The probe walks every scan to EOI: a file cut short (no EOI), a scan bomb or a scan script
  // that leaves a component out is refused before the decoder spends anything on it.
  const info = probeJpeg(bytes, options);
  return { info, ...await decodeProbedJpeg(bytes, info) };
}

/**
 * Decodes a JPEG whose headers the caller has already probed (and refused if over the limits),
 * so a file is walked once; checks the decoder's size against the probe's.
 */
export async function decodeProbedJpeg(
  bytes: Uint8Array,
  probed: { width: number; height: number },
): Promise<Omit<DecodedImage, "info">> {
  const image = await serialised(() => runDecoder(bytes));
  if (image.width !== probed.width || image.height !== probed.height) {
    throw new AppError(
      "decode_failed",
      `Cannot decode JPEG: the decoder returned ${image.width}x${image.height}, but the ` +
        `headers say ${probed.width}x${probed.height}`,
    );
  }
  return { width: image.width, height: image.height, data: image.data };
}

/** Compiles and instantiates the decoder now, so the first request does not pay for it. */
export async function warmJpegDecoder(): Promise<void> {
  await serialised(async () => {
    live ??= await instantiate();
  });
}

/** A snapshot of the decoder's counters. */
export function jpegDecoderStats(): JpegDecoderStats {
  return { ...stats, heapBytes: live?.HEAPU8.buffer.byteLength ?? 0 };
}

/** The part of the Emscripten module we use. */
interface Mozjpeg {
  decode(data: Uint8Array, preserveOrientation: boolean): RgbaImage | null;
  HEAPU8: Uint8Array;
}

/**
 * WASM memory never shrinks, so after a big image the instance is dropped and the next call
 * starts a fresh one (about 0.3 ms from the compiled module). Measured peaks, baseline and
 * progressive: 16 and 20 MiB at 2 MP, 47 and 115 MiB at 12 MP, 65 and 161 MiB at 16.8 MP.
 */
const MAX_IDLE_HEAP_BYTES = 64 * 1024 * 1024;

/**
 * The one libjpeg warning that is harmless: padding after the last scan, before EOI (common in
 * camera files). libjpeg prints only its FIRST warning (jerror.c emit_message: later ones only
 * at trace level 3, which this build cannot set), so any other first warning might hide a
 * "premature end" after it: a file truncated mid-scan with junk earlier in it would otherwise
 * decode half grey. Every other warning is therefore refused: premature end, bad Huffman
 * code, lost restart markers and junk before them mean grey fill or garbage; junk between
 * scans, odd JFIF or Adobe codes mean the rest of the file is unvouched for. None of the 700
 * photos under tests/data makes libjpeg warn at all.
 */
const HARMLESS = /^Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9$/;

const stats = { calls: 0, failures: 0, resets: 0 };
let compiled: Promise<WebAssembly.Module> | undefined;
let live: Mozjpeg | undefined;
let messages: string[] = [];
let queue: Promise<unknown> = Promise.resolve();

/** One WASM instance runs one call at a time, and the captured messages belong to that call. */
function serialised<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job);
  queue = run.catch(() => {});
  return run;
}

async function runDecoder(bytes: Uint8Array): Promise<RgbaImage> {
  const decoder = live ?? (live = await instantiate());
  messages = [];
  stats.calls++;
  let image: RgbaImage | null;
  try {
    image = decoder.decode(bytes, false);
  } catch (err) {
    // exit(1) unwinds past libjpeg's cleanup: the input copy and decoder state stay allocated
    // in the instance forever, so a failed instance is never reused.
    discard();
    stats.failures++;
    throw decoderError(err, messages);
  }
  if (decoder.HEAPU8.buffer.byteLength > MAX_IDLE_HEAP_BYTES) discard();
  const loss = messages.find((m) => !HARMLESS.test(m));
  if (!image || loss) {
    stats.failures++;
    throw new AppError(
      image ? "corrupt_jpeg" : "decode_failed",
      `Cannot decode JPEG: ${loss ?? "the decoder returned no image"}`,
    );
  }
  return image;
}

function discard(): void {
  if (!live) return;
  live = undefined;
  stats.resets++;
}

function decoderError(err: unknown, captured: readonly string[]): AppError {
  // libjpeg prints its fatal message just before calling exit(1), which throws ExitStatus.
  const exited = typeof err === "object" && err !== null &&
    (err as { name?: unknown }).name === "ExitStatus";
  const said = captured.at(-1);
  if (exited && said && !/insufficient memory|maximum supported image dimension/i.test(said)) {
    // The probe refused the unsupported processes it knows; libjpeg's "Unsupported marker"
    // after that is junk in the scan, so only these mean an unsupported feature.
    const unsupported = /not implemented|not supported|omitted at compile time/i;
    const code = unsupported.test(said) ? "unsupported_jpeg" : "corrupt_jpeg";
    return new AppError(code, `Cannot decode JPEG: ${said}`, { cause: err });
  }
  const detail = said ?? (err instanceof Error ? err.message : String(err));
  return new AppError("decode_failed", `Cannot decode JPEG: the decoder failed: ${detail}`, {
    cause: err,
  });
}

async function instantiate(): Promise<Mozjpeg> {
  let wasm: WebAssembly.Module;
  try {
    wasm = await (compiled ??= compile());
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AppError("decode_failed", `Cannot load the JPEG decoder: ${why}`, { cause: err });
  }
  const capture = (line: string) => void messages.push(line);
  return await factory(
    onModule(wasm, { print: capture }) as Parameters<typeof factory>[0],
  ) as unknown as Mozjpeg;
}

/** Compiled once per process, so replacing an instance costs an instantiation only. */
function compile(): Promise<WebAssembly.Module> {
  const glue = import.meta.resolve("@jsquash/jpeg/codec/dec/mozjpeg_dec.js");
  const promise = WebAssembly.compileStreaming(fetch(new URL("mozjpeg_dec.wasm", glue)));
  // A failed compile (e.g. no read permission) must not be cached for the life of the process.
  promise.catch(() => compiled = undefined);
  return promise;
}
