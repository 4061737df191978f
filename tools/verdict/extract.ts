/** Runs the detector over labelled photos for the verdict's inputs, cached on disk by content. */
import { join } from "node:path";
import { prepareClassifier } from "../../inference/classifier_prepare.ts";
import { Detector } from "../../inference/detector.ts";
import { detectorConfig, type DetectorSettings } from "../../inference/load_detector.ts";
import { prepareModel } from "../../inference/model_prepare.ts";
import type { FeatureSpec } from "../../inference/verdict/features.ts";
import { prepareOptionsFor } from "../../inference/verdict/features.ts";
import type { LabelledPhoto } from "./photos.ts";

/** What one photo gave: the head's input vector and COCO's own verdict inputs. */
export interface PhotoRun {
  photo: LabelledPhoto;
  /** SHA-256 of the photo's bytes, hex. */
  digest: string;
  features: Float64Array;
  /** The classifier's vector (classifierVector), when a classifier was given. */
  classifier: Float64Array | null;
  /** COCO's `hot dog` score (classBest). */
  classScore: number;
  /** COCO's strongest food evidence (see foodScore). */
  foodScore: number;
  /** The top detections, e.g. "sandwich 0.41, cup 0.30", to explain misses. */
  top: string;
}

export interface ExtractOptions {
  /** The ONNX export's bytes. */
  model: Uint8Array;
  /** The ImageNet classifier's bytes, for the second opinion's features; absent: none. */
  classifier?: Uint8Array;
  /**
   * The service's settings the photos are run with (input size, and whatever else shapes the
   * model input, e.g. the letterbox), so the head learns from what the service computes.
   */
  settings: DetectorSettings;
  features: FeatureSpec;
  /** Folder for the cache file; none: no cache. */
  cacheDir?: string;
  /** Called after each photo (progress on stderr). */
  onProgress?: (done: number, total: number) => void;
}

// What a photo's vector depends on besides the model: these modules' source (any edit to them
// invalidates the cache), and the locked versions of the WASM runtime and the decoder.
const PIPELINE_SOURCES = [
  "../../inference/_onnx.ts",
  "../../inference/classifier.ts",
  "../../inference/classifier_prepare.ts",
  "../../inference/detector.ts",
  "../../inference/jpeg_decode.ts",
  "../../inference/jpeg_probe.ts",
  "../../inference/letterbox.ts",
  "../../inference/model_prepare.ts",
  "../../inference/orientation.ts",
  "../../inference/postprocess.ts",
  "../../inference/session.ts",
  "../../inference/verdict/features.ts",
  "../../inference/verdict/imagenet_food.ts",
  "../../inference/verdict/judge.ts",
  "../../inference/verdict/region.ts",
  "../../inference/verdict/taps.ts",
];
const PIPELINE_PACKAGES = /^(onnxruntime-web|onnxruntime-common|@jsquash\/jpeg)@/;

interface CacheEntry {
  features: number[];
  classifier: number[] | null;
  classScore: number;
  foodScore: number;
  top: string;
}

/** Feature vectors for these photos, from the cache where the same bytes were seen before. */
export async function extractFeatures(
  photos: readonly LabelledPhoto[],
  options: ExtractOptions,
): Promise<PhotoRun[]> {
  const key = await cacheKey(options);
  const cachePath = options.cacheDir ? join(options.cacheDir, `features-${key}.json`) : null;
  const cache = cachePath ? await readCache(cachePath) : new Map<string, CacheEntry>();
  let detector: Detector | null = null;
  const runs: PhotoRun[] = [];
  let fresh = 0;
  try {
    for (const [i, photo] of photos.entries()) {
      const bytes = await Deno.readFile(photo.path);
      const digest = await sha256Hex(bytes);
      let entry = cache.get(digest);
      if (!entry) {
        detector ??= await Detector.create({
          ...detectorConfig(
            options.settings,
            prepareModel(options.model, prepareOptionsFor(options.features)),
            { classifier: options.classifier ? prepareClassifier(options.classifier) : null },
          ),
          modelName: "verdict-features",
          conf: 0.25,
          iou: 0.45,
          maxDetections: 3,
          maxPixels: 100_000_000,
          maxSide: 65535,
          threads: 1,
          features: options.features,
        });
        const { result, features, classifierFeatures } = await detector.analyse(bytes);
        entry = {
          features: Array.from(features!),
          classifier: classifierFeatures ? Array.from(classifierFeatures) : null,
          classScore: result.verdict!.classScore,
          foodScore: result.verdict!.foodScore,
          top: result.detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(", "),
        };
        cache.set(digest, entry);
        fresh++;
      }
      runs.push({
        photo,
        digest,
        features: Float64Array.from(entry.features),
        classifier: entry.classifier ? Float64Array.from(entry.classifier) : null,
        classScore: entry.classScore,
        foodScore: entry.foodScore,
        top: entry.top,
      });
      options.onProgress?.(i + 1, photos.length);
    }
  } finally {
    await detector?.close();
  }
  if (cachePath && fresh > 0) {
    await Deno.mkdir(options.cacheDir!, { recursive: true });
    await Deno.writeTextFile(cachePath, JSON.stringify(Object.fromEntries(cache)));
  }
  return runs;
}

/** The models' digests, the settings, the spec and the pipeline: what a vector depends on. */
async function cacheKey(o: ExtractOptions): Promise<string> {
  const model = (await sha256Hex(o.model)).slice(0, 12);
  const classifier = o.classifier ? (await sha256Hex(o.classifier)).slice(0, 12) : "none";
  const sources = await Promise.all(
    PIPELINE_SOURCES.map((p) => Deno.readTextFile(new URL(p, import.meta.url))),
  );
  const text = JSON.stringify({
    features: o.features,
    settings: o.settings,
    classifier,
    sources,
    packages: await lockedPackages(),
  });
  const pipeline = (await sha256Hex(new TextEncoder().encode(text))).slice(0, 12);
  const { width, height } = o.settings.INPUT_SIZE;
  return `${model}-${width}x${height}-${pipeline}`;
}

/** The lock file's entries for the packages that compute features (none without a lock). */
async function lockedPackages(): Promise<string[]> {
  try {
    const lock = JSON.parse(await Deno.readTextFile(new URL("../../deno.lock", import.meta.url)));
    return Object.entries(lock.npm ?? {})
      .filter(([name]) => PIPELINE_PACKAGES.test(name))
      .map(([name, entry]) => `${name} ${(entry as { integrity?: string }).integrity}`)
      .sort();
  } catch {
    return [];
  }
}

async function readCache(path: string): Promise<Map<string, CacheEntry>> {
  try {
    return new Map(Object.entries(JSON.parse(await Deno.readTextFile(path))));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Map();
    throw new Error(`Cannot read feature cache ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}
