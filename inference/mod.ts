/** The public surface of inference: the service routes and tools use, and the shapes it speaks. */
export {
  type Inference,
  type InferenceDetectOptions,
  type InferenceHooks,
  type InferenceMode,
  type InferenceOptions,
  type InferenceSettings,
  type InferenceStats,
  queueInference,
  type Runner,
  type RunnerSource,
  runnerSource,
  startInference,
} from "./service.ts";
export type { CodelQueueStats } from "./codel_queue.ts";
// In-isolate detection for the command line and tools (no queue, one photo at a time).
export type { Detector, LetterboxMode, ModelInfo } from "./detector.ts";
export { type DetectorSettings, loadDetector } from "./load_detector.ts";
export { AppError, ERROR_CODES, type ErrorCode, isErrorCode, toAppError } from "./errors.ts";
export { type ImageFormat, type ImageInfo, sniffFormat } from "./image_probe.ts";
export type { PoolStats } from "./pool.ts";
export { roundResult } from "./round_result.ts";
export { type FrameSize, warmFrames } from "./warm_frames.ts";
export type {
  Box,
  Detection,
  DetectOptions,
  DetectResult,
  RunOptions,
  SecondOpinion,
  Timings,
  Verdict,
} from "./types.ts";
