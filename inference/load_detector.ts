/** Builds a Detector (or its configuration) from a model file on disk and the service's settings. */
import { basename } from "node:path";
import type { Config } from "../config.ts";
import { Detector, type DetectorConfig } from "./detector.ts";
import { AppError } from "./errors.ts";
import type { PreparedModel } from "./model_prepare.ts";

export type DetectorSettings = Pick<
  Config,
  | "MODEL_PATH"
  | "INPUT_SIZE"
  | "CONF_THRESHOLD"
  | "IOU_THRESHOLD"
  | "MAX_DETECTIONS"
  | "HOTDOG_THRESHOLD"
  | "MAX_PIXELS"
  | "MAX_SIDE"
  | "WORKER_THREADS"
>;

/** Reads the model file, with a fix-it message when it is missing. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    const hint = err instanceof Deno.errors.NotFound ? "; run `deno task assets` to fetch it" : "";
    throw new AppError(
      "model_invalid",
      `Cannot load model ${path}: ${(err as Error).message}${hint}`,
      { cause: err },
    );
  }
}

/** The Detector configuration the settings describe, for the given model. */
export function detectorConfig(
  settings: DetectorSettings,
  model: Uint8Array | PreparedModel,
): DetectorConfig {
  return {
    model,
    modelName: basename(settings.MODEL_PATH).replace(/\.onnx$/, ""),
    inputWidth: settings.INPUT_SIZE.width,
    inputHeight: settings.INPUT_SIZE.height,
    conf: settings.CONF_THRESHOLD,
    iou: settings.IOU_THRESHOLD,
    maxDetections: settings.MAX_DETECTIONS,
    hotdogThreshold: settings.HOTDOG_THRESHOLD,
    maxPixels: settings.MAX_PIXELS,
    maxSide: settings.MAX_SIDE,
    threads: settings.WORKER_THREADS,
  };
}

/** Reads the model and warms a Detector in this isolate. */
export async function loadDetector(settings: DetectorSettings): Promise<Detector> {
  const model = await readModelFile(settings.MODEL_PATH);
  return await Detector.create(detectorConfig(settings, model));
}
