/** `deno task detect`: one JSON line per input image; composes with find, xargs and jq. */
import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { encodeBase64 } from "./_base64.ts";
import { DEFAULTS, parseInputSize } from "../config.ts";
import {
  AppError,
  type DetectResult,
  loadDetector,
  roundResult,
  sniffFormat,
  toAppError,
} from "../inference/mod.ts";
import { remoteDetector, RemoteError, UnreachableError } from "./remote.ts";
import { Overlay } from "../routes/views/overlay.tsx";

const USAGE = `Usage: deno task detect [options] FILE... | -

Detects objects in JPEG, PNG and WebP images and prints one JSON object per input, one per line:
  {"file": "bus.jpg", "width": 810, "height": 1080, "hotdog": false, "detections": [...], ...}
An input that fails prints {"file": ..., "error": {"code": ..., "message": ...}}; the others go
on, and the exit code is 1 if any failed. "-" reads one image from standard input.
With --url the images go to a running server instead, which answers with its model; a server
that cannot be reached stops the run with exit code 2.

Options:
  --size N|WxH    model input size, multiples of 32 (default ${DEFAULTS.INPUT_SIZE.width})
  --letterbox M   auto: each image at the smallest fitting rectangle; square: at --size
                  (default ${DEFAULTS.LETTERBOX})
  --conf X        confidence threshold 0-1 (default ${DEFAULTS.CONF_THRESHOLD})
  --iou X         NMS IoU threshold 0-1 (default ${DEFAULTS.IOU_THRESHOLD})
  --max N         at most N detections per image (default ${DEFAULTS.MAX_DETECTIONS})
  --model PATH    ONNX model (default ${DEFAULTS.MODEL_PATH})
  --svg           also write an annotated SVG per input (FILE.svg, or stdin.svg)
  --svg-dir DIR   write the SVGs into DIR instead of beside each input
  --url URL       send the images to the server at URL (e.g. http://localhost:8000);
                  --conf, --iou and --max are passed on, the server's defaults otherwise
  --api-key KEY   with --url: the server's API key (sent as Authorization: Bearer KEY)
  -h, --help      this text`;

/** What one input produced: the line to print, and the SVG to write if asked. */
export type CliLine =
  & { file: string }
  & (DetectResult | { error: { code: string; message: string } });

function parseUnit(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === "" || !(v >= 0 && v <= 1)) {
    throw new AppError(
      "invalid_parameter",
      `Cannot use --${name} ${text}: expected a number from 0 to 1`,
    );
  }
  return v;
}

function parseLetterbox(text: string | undefined): "auto" | "square" {
  if (text === undefined) return DEFAULTS.LETTERBOX;
  if (text === "auto" || text === "square") return text;
  throw new AppError(
    "invalid_parameter",
    `Cannot use --letterbox ${text}: expected auto or square`,
  );
}

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        size: { type: "string" },
        letterbox: { type: "string" },
        conf: { type: "string" },
        iou: { type: "string" },
        max: { type: "string" },
        model: { type: "string" },
        svg: { type: "boolean" },
        "svg-dir": { type: "string" },
        url: { type: "string" },
        "api-key": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    console.error(`detect: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) {
    console.error(`detect: no input files\n\n${USAGE}`);
    return 2;
  }
  let detector: { detect(bytes: Uint8Array): Promise<DetectResult>; close(): Promise<void> };
  try {
    const max = values.max === undefined ? undefined : Number(values.max);
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
      throw new AppError(
        "invalid_parameter",
        `Cannot use --max ${values.max}: expected a whole number >= 1`,
      );
    }
    const conf = parseUnit("conf", values.conf);
    const iou = parseUnit("iou", values.iou);
    if (values.url !== undefined) {
      if (values.size !== undefined || values.model !== undefined || values.letterbox) {
        throw new AppError(
          "invalid_parameter",
          "Cannot use --size, --letterbox or --model with --url: the server runs its own model",
        );
      }
      const remote = remoteDetector(values.url, { conf, iou, max, apiKey: values["api-key"] });
      detector = { detect: remote.detect, close: () => Promise.resolve() };
    } else {
      if (values["api-key"] !== undefined) {
        throw new AppError("invalid_parameter", "Cannot use --api-key without --url");
      }
      detector = await loadDetector({
        ...DEFAULTS,
        MODEL_PATH: values.model ?? DEFAULTS.MODEL_PATH,
        INPUT_SIZE: values.size ? parseInputSize(values.size) : DEFAULTS.INPUT_SIZE,
        LETTERBOX: parseLetterbox(values.letterbox),
        CONF_THRESHOLD: conf ?? DEFAULTS.CONF_THRESHOLD,
        IOU_THRESHOLD: iou ?? DEFAULTS.IOU_THRESHOLD,
        MAX_DETECTIONS: max ?? DEFAULTS.MAX_DETECTIONS,
      });
    }
  } catch (err) {
    console.error(`detect: ${(err as Error).message}`);
    return 2;
  }

  let failed = 0;
  const svgDir = values["svg-dir"];
  if (svgDir) await Deno.mkdir(svgDir, { recursive: true });
  for (const file of positionals) {
    let line: CliLine;
    let bytes: Uint8Array | undefined;
    try {
      bytes = file === "-" ? await readStdin() : await readInput(file);
      // Rounded as the API rounds, so a local and a remote run print the same line.
      line = { file, ...roundResult(await detector.detect(bytes)) };
    } catch (err) {
      if (err instanceof UnreachableError) {
        // Every other file would fail the same way: one clear line, not one per file.
        console.error(`detect: ${err.message}`);
        await detector.close();
        return 2;
      }
      const e = err instanceof RemoteError ? err : toAppError(err);
      line = { file, error: { code: e.code, message: e.message } };
      failed++;
    }
    console.log(JSON.stringify(line));
    if ((values.svg || svgDir) && bytes && !("error" in line)) {
      const name = file === "-" ? "stdin.svg" : `${basename(file)}.svg`;
      const target = svgDir ? join(svgDir, name) : file === "-" ? name : `${file}.svg`;
      await Deno.writeTextFile(target, annotatedSvg(bytes, line));
    }
  }
  await detector.close();
  return failed > 0 ? 1 : 0;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (err) {
    const code = err instanceof Deno.errors.NotFound ? "not found" : (err as Error).message;
    throw new AppError("bad_request", `Cannot read ${file}: ${code}`, { cause: err });
  }
}

async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

/** A standalone SVG: the image embedded as a data URL with the boxes drawn over it. */
export function annotatedSvg(image: Uint8Array, result: DetectResult): string {
  const href = `data:image/${sniffFormat(image) ?? "jpeg"};base64,${encodeBase64(image)}`;
  const svg = Overlay({ ...result, imageHref: href });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
