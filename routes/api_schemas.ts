/** The zod schemas of both JSON APIs: what the routes validate and what /openapi.json documents. */
import { z } from "zod";
import { ERROR_STATUS } from "./error_status.ts";

// Query strings arrive as text. Blank stays a string so zod rejects it: `?conf=` must not
// silently mean 0, which is what Number("") and z.coerce would make of it. Wrapping the number
// schema in a preprocess keeps the documented type a number (zod documents the input of a
// preprocess as its target schema).
const fromText = (v: unknown) => typeof v === "string" && v.trim() !== "" ? Number(v) : v;

/** A number parameter whose every failure reads the same plain sentence. */
function numberParam(schema: (error: string) => z.ZodNumber, message: string) {
  return z.preprocess(fromText, schema(message));
}

// ---------------------------------------------------------------------------------------------
// Native API
// ---------------------------------------------------------------------------------------------

/** `POST /api/v1/detect` query. Unknown parameters are refused so that typos do not go unseen. */
export const DetectQuery = z.strictObject({
  conf: numberParam(
    (error) => z.number({ error }).min(0, { error }).max(1, { error }),
    "conf must be a number from 0 to 1",
  ).optional().meta({
    description: "Confidence threshold, 0-1. Default: the server's (see GET /api/v1/model).",
    example: 0.5,
  }),
  iou: numberParam(
    (error) => z.number({ error }).min(0, { error }).max(1, { error }),
    "iou must be a number from 0 to 1",
  ).optional().meta({
    description: "IoU threshold of the class-aware non-maximum suppression, 0-1.",
    example: 0.45,
  }),
  classes: z.string({ error: "classes must be a comma-separated list" })
    .min(1, { error: "classes must name at least one class" })
    .optional().meta({
      description: "Keep only these classes: comma-separated names or ids from GET " +
        "/api/v1/model, e.g. `person,hot dog` or `0,52`. Names are case-insensitive.",
      example: "person,hot dog",
    }),
  max: numberParam(
    (error) => z.number({ error }).int({ error }).min(1, { error }).max(1000, { error }),
    "max must be a whole number from 1 to 1000",
  ).optional().meta({
    description: "At most this many detections, best first.",
    example: 20,
  }),
});
export type DetectQuery = z.output<typeof DetectQuery>;

/** The multipart form of `POST /api/v1/detect` (the other form is a raw image/jpeg body). */
export const DetectForm = z.object({
  image: z.file().meta({ description: "The JPEG image." }),
});

export const Box = z.object({
  x1: z.number(),
  y1: z.number(),
  x2: z.number(),
  y2: z.number(),
}).meta({
  description: "Corners in pixels of the image as displayed (EXIF orientation applied); " +
    "x1 <= x2, y1 <= y2.",
});

export const Detection = z.object({
  label: z.string().meta({ example: "hot dog" }),
  classId: z.number().int().min(0).meta({ example: 52 }),
  score: z.number().min(0).max(1).meta({ description: "Objectness x class probability." }),
  box: Box,
});

export const Timings = z.object({
  queue: z.number().optional().meta({ description: "Waiting for a free worker." }),
  decode: z.number(),
  preprocess: z.number(),
  infer: z.number(),
  postprocess: z.number(),
  verdict: z.number().optional().meta({
    description: "The verdict: its features, heads and, when asked, the ImageNet classifier.",
  }),
  total: z.number().meta({ description: "All of the above, queue included." }),
}).meta({ description: "Milliseconds per stage (also sent as the Server-Timing header)." });

export const InputSize = z.object({
  width: z.number().int().min(1),
  height: z.number().int().min(1),
}).meta({ description: "Model input size in pixels; images are letterboxed to it." });

export const Verdict = z.object({
  source: z.enum(["head", "class", "second-opinion"]).meta({
    description: "What decided: `head`, the learned verdict head on the detector's own " +
      "features (models/verdict.json); `second-opinion`, the head was unsure so the ImageNet " +
      "classifier ran and the fused head on both models' features decided; or `class`, COCO's " +
      "`hot dog` class alone (no head, another input size, or too little food for the head).",
  }),
  threshold: z.number().min(0).max(1).meta({
    description: "hotdogScore at or above this says hot dog (HOTDOG_THRESHOLD).",
  }),
  classScore: z.number().min(0).max(1).meta({
    description: "COCO's own `hot dog` score: the best cell whose top class is hot dog.",
  }),
  foodScore: z.number().min(0).max(1).meta({
    description: "COCO's strongest food evidence (banana ... cake) in any cell.",
  }),
  region: z.object({ box: Box, score: z.number().min(0).max(1) }).nullable().meta({
    description: "Where a hot dog most likely is (the best `hot dog` cell, often below the " +
      "box threshold: a hint, not a detection); null when no cell scores above 0.001.",
  }),
  secondOpinion: z.object({
    score: z.number().min(0).max(1).meta({
      description: "The fused head's score (the hotdogScore when it decided).",
    }),
    detectorScore: z.number().min(0).max(1).meta({
      description: "The detector head's score, which was in the uncertain band.",
    }),
    imagenetHotdog: z.number().min(0).max(1).meta({
      description: "The classifier's own probability of ImageNet's `hotdog` class.",
    }),
    looksLike: z.object({ label: z.string(), score: z.number().min(0).max(1) }).meta({
      description: "The ImageNet food (other than hotdog) the photo most looks like.",
      example: { label: "pizza", score: 0.62 },
    }),
  }).nullable().meta({
    description: "The ImageNet classifier's opinion when the verdict asked for it, else null.",
  }),
}).meta({ description: "What decided the verdict, and the evidence." });

export const DetectResponse = z.object({
  model: z.object({ name: z.string().meta({ example: "yolov5n" }), inputSize: InputSize }),
  width: z.number().int().min(1).meta({ description: "Image width as displayed." }),
  height: z.number().int().min(1),
  hotdog: z.boolean().meta({ description: "The verdict: is this a hot dog?" }),
  hotdogScore: z.number().min(0).max(1).meta({
    description: "How sure the verdict is that this is a hot dog, 0-1. The verdict ignores " +
      "the request's conf, classes and max: same photo, same verdict.",
  }),
  verdict: Verdict,
  detections: z.array(Detection).meta({ description: "Best first." }),
  timings: Timings,
});
export type DetectResponse = z.output<typeof DetectResponse>;

export const ModelResponse = z.object({
  name: z.string().meta({ example: "yolov5n" }),
  inputSize: InputSize,
  inputSizes: z.array(InputSize).meta({
    description: "Every input size this server runs (one per server today).",
  }),
  classes: z.array(z.string()).meta({
    description: "Class names; a class's id is its index.",
    example: ["person", "bicycle", "car"],
  }),
  thresholds: z.object({
    conf: z.number().min(0).max(1),
    iou: z.number().min(0).max(1),
    maxDetections: z.number().int().min(1),
    hotdog: z.number().min(0).max(1).meta({
      description: "A hotdogScore at or above this makes the verdict hot dog (HOTDOG_THRESHOLD).",
    }),
  }).meta({ description: "The defaults in force for requests that do not say otherwise." }),
  verdict: z.enum(["head", "class"]).meta({
    description: "What decides the verdict at this input size: the learned head or COCO's class.",
  }),
  limits: z.object({
    maxBodyBytes: z.number().int().min(1).meta({ description: "Largest upload accepted." }),
  }),
});
export type ModelResponse = z.output<typeof ModelResponse>;

const ERROR_CODES = Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS];

export const ErrorResponse = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES).meta({ description: "Stable, machine-readable." }),
    message: z.string().meta({ description: "For people: what went wrong and what to do." }),
  }),
});

// ---------------------------------------------------------------------------------------------
// DeepStack / CodeProject.AI compatible API
// ---------------------------------------------------------------------------------------------

/** The DeepStack default when `min_confidence` is absent or blank (Frigate never sends it). */
export const DEEPSTACK_MIN_CONFIDENCE = 0.4;

/** DeepStack's own error strings, so tools that show them show what they know. */
export const DEEPSTACK_ERRORS = {
  noImage: "No valid image file found",
  invalidImage: "invalid image file",
  badConfidence: "Invalid value for min_confidence",
  confidenceTooHigh: "min_confidence cannot be greater than 1",
  confidenceTooLow: "min_confidence cannot be less than 0",
  badKey: "Incorrect api key",
  server: "error occured on the server",
} as const;

// DeepStack treats a blank min_confidence like an absent one.
const blankToUndefined = (v: unknown) =>
  typeof v === "string" && v.trim() === "" ? undefined : fromText(v);

/** The form fields of `POST /v1/vision/detection` besides the image. */
export const DeepStackForm = z.object({
  image: z.file().meta({ description: "The image (JPEG). Frigate sends its frame here." }),
  min_confidence: z.preprocess(
    blankToUndefined,
    z.number({ error: DEEPSTACK_ERRORS.badConfidence })
      .min(0, { error: DEEPSTACK_ERRORS.confidenceTooLow })
      .max(1, { error: DEEPSTACK_ERRORS.confidenceTooHigh })
      .optional(),
  ).meta({
    description: `Confidence threshold, 0-1 (default ${DEEPSTACK_MIN_CONFIDENCE}).`,
    example: 0.6,
  }),
  api_key: z.string().optional().meta({
    description: "Required when the server has API keys (or send Authorization: Bearer KEY).",
  }),
});

export const DeepStackPrediction = z.object({
  label: z.string().meta({ example: "person" }),
  confidence: z.number().min(0).max(1),
  x_min: z.number().int(),
  y_min: z.number().int(),
  x_max: z.number().int(),
  y_max: z.number().int(),
}).meta({ description: "Whole pixels of the uploaded image, truncated like DeepStack's int()." });

/** CodeProject.AI's fields, sent on every successful /v1 answer. */
export const CodeProjectFields = z.object({
  moduleId: z.string().meta({ example: "nothotdog" }),
  moduleName: z.string().meta({ example: "nothotdog object detection (yolov5n)" }),
  command: z.string().meta({ description: "detect, list or ping.", example: "detect" }),
  requestId: z.string().meta({ description: "The X-Request-Id of this request." }),
  inferenceDevice: z.literal("CPU"),
  analysisRoundTripMs: z.number().int().min(0).meta({
    description: "Milliseconds from the request's arrival to its answer, queue included.",
  }),
});

export type CodeProjectFields = z.output<typeof CodeProjectFields>;

export const DeepStackResponse = z.object({
  success: z.literal(true),
  predictions: z.array(DeepStackPrediction).meta({ description: "Best first, at most 20." }),
  duration: z.number().meta({ description: "Always 0, as in DeepStack." }),
  message: z.string().meta({ example: "Found person, person, bus..." }),
  count: z.number().int().min(0),
  inferenceMs: z.number().int().min(0),
  processMs: z.number().int().min(0),
}).extend(CodeProjectFields.shape).meta({
  description: "DeepStack's response plus CodeProject.AI's extra fields.",
});
export type DeepStackResponse = z.output<typeof DeepStackResponse>;

export const DeepStackError = z.object({
  success: z.literal(false),
  error: z.string(),
  duration: z.number(),
});
export type DeepStackError = z.output<typeof DeepStackError>;

export const DeepStackPing = z.object({ success: z.literal(true) }).extend(
  CodeProjectFields.shape,
);

export const DeepStackModelList = z.object({
  success: z.literal(true),
  models: z.array(z.string()).meta({ example: ["yolov5n"] }),
}).extend(CodeProjectFields.shape);

const VersionInfo = z.object({
  major: z.number().int(),
  minor: z.number().int(),
  patch: z.number().int(),
  build: z.number().int(),
  preRelease: z.null(),
  securityUpdate: z.boolean(),
  file: z.null(),
  releaseNotes: z.null(),
});

/** CodeProject.AI's `GET /v1/status/updateavailable`, which Blue Iris needs to see answered. */
export const DeepStackUpdate = z.object({
  success: z.literal(true),
  message: z.string(),
  version: VersionInfo,
  current: VersionInfo,
  latest: VersionInfo,
  updateAvailable: z.literal(false),
});
