/** Builds a Detector's plan (or its configuration) from the model files on disk and the service's settings. */
import { basename } from "node:path";
import type { Config } from "../config.ts";
import { prepareClassifier, type PreparedClassifier } from "./classifier_prepare.ts";
import { Detector, type DetectorConfig, type DetectorPlan, planDetector } from "./detector.ts";
import { AppError } from "./errors.ts";
import type { PreparedModel } from "./model_prepare.ts";
import { loadVerdictModel, type VerdictModel } from "./verdict/model.ts";

export type DetectorSettings = Pick<
  Config,
  | "MODEL_PATH"
  | "INPUT_SIZE"
  | "LETTERBOX"
  | "CONF_THRESHOLD"
  | "IOU_THRESHOLD"
  | "MAX_DETECTIONS"
  | "HOTDOG_THRESHOLD"
  | "VERDICT_HEAD"
  | "CLASSIFIER_PATH"
  | "VERDICT_SECOND_OPINION"
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

/**
 * The Detector configuration the settings describe, for the given model and verdict head (from
 * loadVerdictModel(settings.VERDICT_HEAD); none: COCO's class decides). A prepared model must
 * carry the head's features: see prepareDetector.
 */
export function detectorConfig(
  settings: DetectorSettings,
  model: Uint8Array | PreparedModel,
  options: { verdict?: VerdictModel | null; classifier?: PreparedClassifier | null } = {},
): DetectorConfig {
  return {
    model,
    modelName: basename(settings.MODEL_PATH).replace(/\.onnx$/, ""),
    inputWidth: settings.INPUT_SIZE.width,
    inputHeight: settings.INPUT_SIZE.height,
    letterbox: settings.LETTERBOX,
    conf: settings.CONF_THRESHOLD,
    iou: settings.IOU_THRESHOLD,
    maxDetections: settings.MAX_DETECTIONS,
    hotdogThreshold: settings.HOTDOG_THRESHOLD,
    verdict: options.verdict ?? null,
    classifier: options.classifier ?? null,
    secondOpinion: settings.VERDICT_SECOND_OPINION,
    maxPixels: settings.MAX_PIXELS,
    maxSide: settings.MAX_SIDE,
    threads: settings.WORKER_THREADS,
  };
}

/**
 * Reads the model, the verdict head and (when the head will ask it) the classifier, and
 * resolves them into the frozen plan workers take ready-made: the graph prepared with the
 * head's feature outputs, the head for this input size or none.
 */
export async function prepareDetector(settings: DetectorSettings): Promise<DetectorPlan> {
  const bytes = await readModelFile(settings.MODEL_PATH);
  const verdict = await loadVerdictModel(settings.VERDICT_HEAD);
  const plan = planDetector(detectorConfig(settings, bytes, { verdict }));
  // The classifier is read only when something will ask it; a missing file is a clear error.
  const wanted = plan.wantsClassifier && settings.CLASSIFIER_PATH !== "none" &&
    settings.CLASSIFIER_PATH !== "";
  if (!wanted) return plan;
  const classifier = await loadClassifier(settings.CLASSIFIER_PATH);
  // The graph is prepared already: planning again only checks the classifier against the head.
  return planDetector({
    ...detectorConfig(settings, plan.model, { verdict: plan.verdictHead }),
    classifier,
  });
}

/** Reads and prepares the ImageNet classifier (CLASSIFIER_PATH). */
export async function loadClassifier(path: string): Promise<PreparedClassifier> {
  return prepareClassifier(await readModelFile(path));
}

/** Reads the model and the verdict head and warms a Detector in this isolate. */
export async function loadDetector(settings: DetectorSettings): Promise<Detector> {
  return await Detector.create(await prepareDetector(settings));
}
