/** The Detector: decode -> letterbox -> run -> postprocess, with a model loaded and warmed once. */
import { Classifier } from "./classifier.ts";
import type { PreparedClassifier } from "./classifier_prepare.ts";
import { AppError } from "./errors.ts";
import {
  type DecodedImage,
  decodeImage,
  decodeProbedImage,
  warmImageDecoders,
} from "./image_decode.ts";
import { letterbox } from "./letterbox.ts";
import type { SizeLimits } from "./_image_limits.ts";
import { DEFAULT_ANCHORS, type PreparedModel, prepareModel } from "./model_prepare.ts";
import { orientedToStored } from "./orientation.ts";
import { type FrameSize, warmFrames } from "./warm_frames.ts";
import { type DetectOutput, type ImageMapping, postprocess } from "./postprocess.ts";
import { createSession, type ModelSession, type OutputTensor } from "./session.ts";
import type { DetectOptions, DetectResult, RunOptions } from "./types.ts";
import {
  classifierVector,
  type FeatureSpec,
  foodClassIds,
  pooledFeatures,
  prepareOptionsFor,
} from "./verdict/features.ts";
import { judge, type Judgement, secondOpinion, type SecondOpinionMode } from "./verdict/judge.ts";
import { headForSize, type VerdictModel } from "./verdict/model.ts";
import { regionCentre } from "./verdict/region.ts";

export interface DetectorConfig {
  /** The ONNX export's bytes. */
  /** The ONNX export's bytes, or the graph already prepared (workers get it ready-made). */
  model: Uint8Array | PreparedModel;
  /** A name for the model, shown by the APIs (e.g. the file name without extension). */
  modelName: string;
  /** Model input size in pixels; multiples of the model's largest stride (32). */
  inputWidth: number;
  inputHeight: number;
  /**
   * `auto`: each image gets the smallest stride-multiple rectangle within the input size that
   * holds it (Ultralytics' auto letterbox: a 16:9 frame runs at 320x192); `square` (default
   * here, for tools that pin features): every image is padded to the full input size.
   */
  letterbox?: LetterboxMode;
  /** Defaults for requests that do not say otherwise. */
  conf: number;
  iou: number;
  maxDetections: number;
  /** A hotdogScore at or above this makes the verdict "hotdog" (0.5: either source as measured). */
  hotdogThreshold: number;
  /**
   * The learned verdict head (models/verdict.json), used when trained at this input size; null,
   * absent or trained at another size: COCO's class alone decides.
   */
  verdict?: VerdictModel | null;
  /**
   * Compute this feature vector even without a head, for `analyse` (training the head); with a
   * classifier, `analyse` then runs it on every photo and returns its vector too.
   */
  features?: FeatureSpec;
  /** The ImageNet classifier, prepared (classifier_prepare); null or absent: none. */
  classifier?: PreparedClassifier | null;
  /** When the verdict asks the classifier (VERDICT_SECOND_OPINION, default auto). */
  secondOpinion?: SecondOpinionMode;
  /** Decoder limits: refuse images over this many pixels or this long a side. */
  maxPixels: number;
  maxSide: number;
  /** WASM threads per session. */
  threads?: number;
}

export type LetterboxMode = "auto" | "square";

export interface ModelInfo {
  name: string;
  /** The largest tensor; with `letterbox: "auto"` most images run at a smaller rectangle. */
  inputWidth: number;
  inputHeight: number;
  letterbox: LetterboxMode;
  classNames: readonly string[];
  sourceInputType: "float32" | "float16";
  conf: number;
  iou: number;
  maxDetections: number;
  hotdogThreshold: number;
  /** What decides the verdict: the learned head, or COCO's `hot dog` class alone. */
  verdict: "head" | "class";
}

const HOTDOG_LABEL = "hot dog";

/**
 * Camera frames and photos come in these shapes (width:height): each worker runs each tensor
 * shape they letterbox to at start, so no request pays for a shape's first runs.
 */
const WARM_ASPECTS = [[1, 1], [16, 9], [9, 16], [4, 3], [3, 4]] as const;
// Under load the first runs of a shape took 559, 209 and 116 ms before settling (issue 13).
export const WARM_RUNS = 3;
// The first warm-up round keeps boxes down to this confidence, so their code runs before a client's.
const WARM_CONF = 0.01;

/**
 * The warm-up snapshots' sizes for a plan: one per tensor shape its letterbox gives the common
 * aspects (one in all for the square letterbox), each snapshot-sized as the page sends them (the
 * long side the input's, within the decoder's limits). Pure, so the pool can encode them once on
 * the main thread for every worker.
 */
export function warmFrameSizes(plan: Pick<DetectorPlan, "info" | "limits">): FrameSize[] {
  const { inputWidth: w, inputHeight: h, letterbox } = plan.info;
  // One image suffices when every image gets the same tensor.
  const aspects = letterbox === "auto" ? WARM_ASPECTS : [[4, 3] as const];
  const { maxSide, maxPixels } = plan.limits;
  return aspects.map(([aw, ah]) => {
    const long = Math.min(
      Math.max(w, h),
      maxSide,
      Math.sqrt(maxPixels * Math.max(aw, ah) / Math.min(aw, ah)),
    );
    return {
      width: Math.max(1, Math.floor((long * aw) / Math.max(aw, ah))),
      height: Math.max(1, Math.floor((long * ah) / Math.max(aw, ah))),
    };
  });
}

/**
 * YOLO's detect outputs of one run as postprocess takes them: the stride is the input height
 * over the grid height, and exports without anchor constants get YOLOv5's defaults for that
 * stride.
 */
export function detectOutputs(
  model: Pick<PreparedModel, "heads">,
  outputs: ReadonlyMap<string, OutputTensor>,
  inputHeight: number,
): DetectOutput[] {
  return model.heads.map((head) => {
    const out = outputs.get(head.name)!;
    const stride = inputHeight / out.dims[2];
    return {
      data: out.data,
      ny: out.dims[2],
      nx: out.dims[3],
      stride,
      anchors: head.anchors ?? DEFAULT_ANCHORS[stride],
    };
  });
}

/**
 * Everything a Detector runs with, resolved once (on the main thread, by planDetector) and
 * handed to each worker as is: the prepared graph, the verdict head serving this input size or
 * none, the thresholds and limits, what clients are told. Frozen; stages get their options
 * from it and keep no defaults of their own.
 */
export interface DetectorPlan {
  readonly model: PreparedModel;
  readonly info: ModelInfo;
  /** The verdict head trained at this input size; null: COCO's class alone decides. */
  readonly verdictHead: VerdictModel | null;
  /** Training mode: compute this feature vector (and the classifier's) for every photo. */
  readonly training: FeatureSpec | null;
  /** The classifier, when something will ask it (the head's second opinion, or training). */
  readonly classifier: PreparedClassifier | null;
  /** Whether the head's second opinion would ask a classifier (one is worth loading). */
  readonly wantsClassifier: boolean;
  readonly secondOpinion: SecondOpinionMode;
  readonly limits: Readonly<Required<SizeLimits>>;
  /** WASM threads per session; undefined: the session's default. */
  readonly threads: number | undefined;
}

/**
 * Resolves a configuration into the frozen plan: looks the verdict head up for the input size
 * (the one place that does), prepares the graph with the head's feature outputs unless it came
 * prepared, checks the input size against the model's strides and the classifier against the
 * head. Throws an AppError for a configuration that cannot run.
 */
export function planDetector(config: DetectorConfig): DetectorPlan {
  const size = { width: config.inputWidth, height: config.inputHeight };
  const head = headForSize(config.verdict, size);
  const training = config.features ?? null;
  const spec = head?.features ?? training;
  const model = config.model instanceof Uint8Array
    ? prepareModel(config.model, spec ? prepareOptionsFor(spec) : {})
    : config.model;
  const stride = model.maxStride;
  for (const [axis, v] of [["width", size.width], ["height", size.height]] as const) {
    if (!Number.isInteger(v) || v < stride || v % stride !== 0) {
      throw new AppError(
        "invalid_parameter",
        `Cannot load model: input ${axis} ${v} is not a positive multiple of ${stride}`,
      );
    }
  }
  const secondOpinion = config.secondOpinion ?? "auto";
  const so = head?.secondOpinion;
  const wantsClassifier = !!so && secondOpinion !== "never";
  // The classifier's session is started only when something will ask it.
  const classifier = config.classifier && (training || wantsClassifier) ? config.classifier : null;
  if (classifier && so && so.classifier.channels !== classifier.channels) {
    throw new AppError(
      "model_invalid",
      `Cannot load verdict head: its second opinion reads ${so.classifier.channels} classifier ` +
        `features (${so.classifier.name}), this classifier gives ${classifier.channels}`,
    );
  }
  const info: ModelInfo = Object.freeze({
    name: config.modelName,
    inputWidth: size.width,
    inputHeight: size.height,
    letterbox: config.letterbox ?? "square",
    classNames: Object.freeze([...model.classNames]),
    sourceInputType: model.sourceInputType,
    conf: config.conf,
    iou: config.iou,
    maxDetections: config.maxDetections,
    hotdogThreshold: config.hotdogThreshold,
    verdict: head ? "head" : "class",
  });
  return Object.freeze({
    model,
    info,
    verdictHead: head,
    training,
    classifier,
    wantsClassifier,
    secondOpinion,
    limits: Object.freeze({ maxPixels: config.maxPixels, maxSide: config.maxSide }),
    threads: config.threads,
  });
}

/** A plan already resolved (planDetector's), as opposed to a configuration to resolve. */
function isPlan(x: DetectorConfig | DetectorPlan): x is DetectorPlan {
  return "info" in x && "verdictHead" in x;
}

export class Detector {
  readonly info: ModelInfo;
  #plan: DetectorPlan;
  #model: PreparedModel;
  #session: ModelSession;
  #hotdogClass: number;
  #foodClasses: number[];
  #classifier: Classifier | null;

  private constructor(plan: DetectorPlan, session: ModelSession, classifier: Classifier | null) {
    this.#plan = plan;
    this.#model = plan.model;
    this.#session = session;
    this.#classifier = classifier;
    this.#hotdogClass = plan.model.classNames.indexOf(HOTDOG_LABEL);
    this.#foodClasses = foodClassIds(plan.model.classNames);
    this.info = plan.info;
  }

  /**
   * Compiles the session and runs it once so no request pays for that. Takes the plan made on
   * the main thread (workers), or a configuration it plans here (tools, tests). `warmFrames`:
   * the warm-up snapshots (`warmFrameSizes`) when someone else encodes them (the pool, once for
   * all workers); null or absent: encoded here.
   */
  static async create(
    config: DetectorConfig | DetectorPlan,
    options: { warmFrames?: Promise<readonly Uint8Array[] | null> } = {},
  ): Promise<Detector> {
    const plan = isPlan(config) ? config : planDetector(config);
    const session = await createSession(plan.model, { threads: plan.threads });
    const classifier = plan.classifier
      ? await Classifier.create(plan.classifier, { threads: plan.threads })
      : null;
    const detector = new Detector(plan, session, classifier);
    await detector.#warmUp(options.warmFrames);
    return detector;
  }

  /**
   * Runs the whole pipeline on camera-like JPEG snapshots (`warm_frames.ts`), a few times per
   * tensor shape and interleaved as requests will be, so the first request pays neither for
   * compiling the graph, a shape's first runs, nor the JIT of the decoder, letterbox and
   * postprocess. The first round keeps every box down to a low confidence, so the box, NMS and
   * mapping code is compiled too.
   */
  async #warmUp(given?: Promise<readonly Uint8Array[] | null>): Promise<void> {
    const { inputWidth: w, inputHeight: h } = this.#plan.info;
    const outputs = await this.#session.run(new Float32Array(3 * w * h), [1, 3, h, w]);
    this.#checkVerdictFits(outputs);
    await warmImageDecoders();
    const frames = (await given) ?? await warmFrames(warmFrameSizes(this.#plan));
    for (let i = 0; i < WARM_RUNS; i++) {
      for (const bytes of frames) await this.detect(bytes, i === 0 ? { conf: WARM_CONF } : {});
    }
  }

  /**
   * Decode -> letterbox -> run -> postprocess -> verdict. With `options.probe` (the caller
   * probed the image against the same limits) the headers are not probed again.
   */
  async detect(bytes: Uint8Array, options: RunOptions = {}): Promise<DetectResult> {
    const t0 = performance.now();
    const image = options.probe
      ? await decodeProbedImage(bytes, options.probe)
      : await decodeImage(bytes, this.#plan.limits);
    const { result } = await this.#detectImage(image, options, t0, false);
    release([image.data.buffer]);
    return result;
  }

  /**
   * `detect`, plus the verdict head's input vector (null without a head or `features`) and,
   * in training mode (`features` and a classifier), the classifier's vector for every photo.
   */
  async analyse(bytes: Uint8Array, options: DetectOptions = {}): Promise<Analysis> {
    const t0 = performance.now();
    const image = await decodeImage(bytes, this.#plan.limits);
    const analysis = await this.#detectImage(image, options, t0, true);
    release([image.data.buffer]);
    return analysis;
  }

  /** A head trained on another graph would read garbage: refuse it at start-up, not per photo. */
  #checkVerdictFits(outputs: Map<string, OutputTensor>): void {
    const v = this.#plan.verdictHead;
    if (!v) return;
    const pooled = this.#model.featureOutputs.reduce((n, o) => n + outputs.get(o)!.dims[1], 0);
    const length = pooled +
      (v.features.scores === "logClassMax" ? this.#model.classNames.length : 0);
    if (length !== v.features.length || this.#model.classNames.length !== v.detector.classes) {
      throw new AppError(
        "model_invalid",
        `Cannot load verdict head: it reads ${v.features.length} features of a ` +
          `${v.detector.classes}-class detector, this model gives ${length} with ` +
          `${this.#model.classNames.length} classes (prepare it with the head's features)`,
      );
    }
  }

  /**
   * Everything after decoding; `t0` is when decoding started. `wantFeatures`: the head's vector
   * for every photo (analysis), not only for those the head judges.
   */
  async #detectImage(
    image: DecodedImage,
    options: DetectOptions,
    t0: number,
    wantFeatures: boolean,
  ): Promise<Analysis> {
    const { info, verdictHead, training } = this.#plan;
    const t1 = performance.now();
    const { orientation, orientedWidth, orientedHeight } = image.info;
    const lb = letterbox(image, {
      width: info.inputWidth,
      height: info.inputHeight,
      stride: this.info.letterbox === "auto" ? this.#model.maxStride : undefined,
      map: orientedToStored(orientation, image.width, image.height),
      orientedWidth,
      orientedHeight,
    });
    const t2 = performance.now();
    const outputs = await this.#session.run(lb.tensor, [1, 3, lb.height, lb.width]);
    const t3 = performance.now();
    const grids = detectOutputs(this.#model, outputs, lb.height);
    const mapping: ImageMapping = {
      scaleX: lb.scaleX,
      scaleY: lb.scaleY,
      padX: lb.padX,
      padY: lb.padY,
      imageWidth: orientedWidth,
      imageHeight: orientedHeight,
    };
    const { detections, classMax, classBest } = postprocess(grids, {
      classNames: this.#model.classNames,
      conf: options.conf ?? info.conf,
      iou: options.iou ?? info.iou,
      maxDetections: options.maxDetections ?? info.maxDetections,
      classes: options.classes,
      ...mapping,
    });
    const t4 = performance.now();
    // The verdict ignores the request's thresholds and class filter: same photo, same verdict.
    const spec = verdictHead?.features ?? training;
    const area = { mapping, inputWidth: lb.width, inputHeight: lb.height };
    const maps = this.#model.featureOutputs.map((name) => outputs.get(name)!);
    let judged: Judgement = judge({
      pooled: () => spec ? pooledFeatures(maps, spec, area) : [],
      classMax,
      classBest,
      detectOutputs: grids,
      mapping,
    }, {
      model: verdictHead,
      threshold: info.hotdogThreshold,
      hotdogClass: this.#hotdogClass,
      foodClasses: this.#foodClasses,
      // Analysis wants the head's vector for every photo; serving only where the head judges.
      features: training ?? (wantFeatures ? verdictHead?.features : undefined),
      secondOpinion: this.#classifier ? this.#plan.secondOpinion : "never",
    });
    const photo = () => ({
      image,
      map: orientedToStored(orientation, image.width, image.height),
      width: orientedWidth,
      height: orientedHeight,
    });
    // The classifier looks where COCO sees the hot dog (its best cell), as it did in training.
    const at = regionCentre(judged.verdict.region);
    let classifierFeatures: Float64Array | null = null;
    if (this.#classifier && training) {
      // Training: every photo's second opinion, whatever the band says.
      classifierFeatures = classifierVector(await this.#classifier.classify(photo(), at));
    } else if (judged.wantsSecondOpinion && this.#classifier) {
      const run = await this.#classifier.classify(photo(), at);
      judged = secondOpinion(judged, run, verdictHead!.secondOpinion!);
    }
    const { hotdog, hotdogScore, verdict, features } = judged;
    const t5 = performance.now();
    const result: DetectResult = {
      width: orientedWidth,
      height: orientedHeight,
      hotdog,
      hotdogScore,
      verdict,
      detections,
      timings: {
        decode: t1 - t0,
        preprocess: t2 - t1,
        infer: t3 - t2,
        postprocess: t4 - t3,
        verdict: t5 - t4,
        total: t5 - t0,
      },
    };
    release([lb.tensor.buffer, ...[...outputs.values()].map((o) => o.data.buffer)]);
    return { result, features, classifierFeatures };
  }

  async close(): Promise<void> {
    await this.#classifier?.close();
    await this.#session.release();
  }
}

/**
 * Frees a request's big typed arrays now rather than when V8 collects them: an isolate lets them
 * pile up to about 64 MB first (onnxruntime's output copies, the decoded photo and the tensor are
 * about 5 MB a request), which 2 workers under load showed as 50-60 MB more RSS. Only for buffers
 * the request made and nothing keeps; one that cannot be detached (WASM memory) is left to V8.
 */
function release(buffers: readonly ArrayBufferLike[]): void {
  for (const b of buffers) {
    try {
      if (b instanceof ArrayBuffer && !b.detached) b.transfer(0);
    } catch {
      // Not detachable: the collector frees it as before.
    }
  }
}

/** What `analyse` gives: the result, and the verdict's input vectors. */
export interface Analysis {
  result: DetectResult;
  features: Float64Array | null;
  classifierFeatures: Float64Array | null;
}
