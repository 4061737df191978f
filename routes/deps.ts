/** What the routes need from the rest of the service: injected, so tests can build small apps. */
import type { ModelInfo } from "../inference/detector.ts";
import type { DetectOptions, DetectResult } from "../inference/types.ts";

/** Per-request options: the detector's, plus the client's abort signal (not sent to workers). */
export type RequestDetectOptions = DetectOptions & { signal?: AbortSignal };

/** Runs detections: the in-isolate Detector, or the worker pool, behind the admission queue. */
export interface DetectService {
  readonly info: ModelInfo;
  detect(bytes: Uint8Array, options?: RequestDetectOptions): Promise<DetectResult>;
}
