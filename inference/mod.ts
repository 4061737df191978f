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
export type { LetterboxMode, ModelInfo } from "./detector.ts";
export { AppError, ERROR_STATUS, type ErrorCode, toAppError } from "./errors.ts";
export type { ImageFormat, ImageInfo } from "./image_probe.ts";
export type { PoolStats } from "./pool.ts";
export { roundResult } from "./round_result.ts";
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
