/** Builds a Detector from a model file on disk and the service's settings. */
import { basename } from "node:path";
import type { Config } from "../config.ts";
import { Detector } from "./detector.ts";
import { AppError } from "./errors.ts";

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
>;

/** Reads the model (with a fix-it message when it is missing) and warms a Detector. */
export async function loadDetector(settings: DetectorSettings): Promise<Detector> {
  let model: Uint8Array;
  try {
    model = await Deno.readFile(settings.MODEL_PATH);
  } catch (err) {
    const hint = err instanceof Deno.errors.NotFound ? "; run `deno task assets` to fetch it" : "";
    throw new AppError(
      "model_invalid",
      `Cannot load model ${settings.MODEL_PATH}: ${(err as Error).message}${hint}`,
      { cause: err },
    );
  }
  return await Detector.create({
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
  });
}
