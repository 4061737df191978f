/** The shapes every stage and every client of the detector share. */
import type { ImageInfo } from "./image_probe.ts";

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
  /**
   * The verdict: pooling the features, the heads and, when it ran, the classifier's crop and
   * run (absent from results made elsewhere, e.g. a remote server's).
   */
  verdict?: number;
  total: number;
}

/** The ImageNet classifier's opinion, when the verdict asked for it. */
export interface SecondOpinion {
  /** The fused head's score on the detector's and the classifier's features, 0-1. */
  score: number;
  /** The detector head's score, which fell in the uncertain band and asked. */
  detectorScore: number;
  /** The classifier's own probability of ImageNet's `hotdog` class. */
  imagenetHotdog: number;
  /** The ImageNet food (other than hotdog) the photo most looks like, with its probability. */
  looksLike: { label: string; score: number };
}

/** What decided the hot dog verdict, for clients that explain it. */
export interface Verdict {
  /**
   * `head`: the learned verdict head on the detector's pooled features and class scores
   * (models/verdict.json); `class`: COCO's `hot dog` class score alone, rescaled so 0.25 reads
   * 0.5. The class decides when there is no head, none for this input size, or when COCO sees
   * too little food (foodScore) for the head, which learned from food photos only.
   * `second-opinion`: the head was unsure (its score in the band chosen by cross-validation, or
   * VERDICT_SECOND_OPINION=always), so the ImageNet classifier ran and the fused head on both
   * models' features decided (see secondOpinion).
   */
  source: "head" | "class" | "second-opinion";
  /** hotdogScore at or above this says "hotdog" (HOTDOG_THRESHOLD). */
  threshold: number;
  /** COCO's own `hot dog` score: the best cell whose top class is hot dog, 0-1. */
  classScore: number;
  /** COCO's strongest food evidence (banana ... cake, any cell), 0-1. */
  foodScore: number;
  /**
   * Where a hot dog most likely is: the cell COCO's `hot dog` class scores highest, with that
   * score (often far below the box threshold: draw it as a hint, not a detection). Null when no
   * cell scores above 0.001.
   */
  region: { box: Box; score: number } | null;
  /** The classifier's part when it ran; null or absent when it did not. */
  secondOpinion?: SecondOpinion | null;
}

export interface DetectResult {
  /** Width of the image as a person sees it (EXIF orientation applied). */
  width: number;
  height: number;
  hotdog: boolean;
  /** 0-1: how sure the verdict is that this is a hot dog. */
  hotdogScore: number;
  /** What decided the verdict; absent from results made elsewhere (e.g. a remote server's). */
  verdict?: Verdict;
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

/**
 * What one detection runs with: the client's options and, when the caller already probed the
 * image (to charge for it before queueing), that probe, so the decoder does not probe again.
 * Plain data: it crosses to a worker.
 */
export interface RunOptions extends DetectOptions {
  probe?: ImageInfo;
}
