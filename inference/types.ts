/** The shapes every stage and every client of the detector share. */

/** A box in original-image pixels (after EXIF orientation), x1 <= x2, y1 <= y2. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection {
  label: string;
  classId: number;
  /** objectness x class probability, 0-1. */
  score: number;
  box: Box;
}

/** Milliseconds spent in each stage of one detection. */
export interface Timings {
  /** Time waiting for a worker; set by the admission queue, absent in-process. */
  queue?: number;
  decode: number;
  preprocess: number;
  infer: number;
  postprocess: number;
  total: number;
}

export interface DetectResult {
  /** Width of the image as a person sees it (EXIF orientation applied). */
  width: number;
  height: number;
  hotdog: boolean;
  /** 0-1: how sure the verdict is that this is a hot dog. */
  hotdogScore: number;
  detections: Detection[];
  timings: Timings;
}

export interface DetectOptions {
  /** Confidence threshold, 0-1 (default 0.25). */
  conf?: number;
  /** IoU threshold for class-aware NMS, 0-1 (default 0.45). */
  iou?: number;
  /** At most this many detections, best first (default 300). */
  maxDetections?: number;
  /** Keep only these class ids. */
  classes?: readonly number[];
}
