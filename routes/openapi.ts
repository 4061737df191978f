/** Builds the OpenAPI 3.1 document from the zod schemas the routes validate with. */
import { z } from "zod";
import {
  Box,
  DeepStackError,
  DeepStackForm,
  DeepStackModelList,
  DeepStackPing,
  DeepStackPrediction,
  DeepStackResponse,
  DeepStackUpdate,
  DetectForm,
  Detection,
  DetectQuery,
  DetectResponse,
  ErrorResponse,
  InputSize,
  ModelResponse,
  Timings,
} from "./api_schemas.ts";

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The model's name, for the custom-model path. */
  modelName: string;
  /** API keys are configured: the APIs require a Bearer token. */
  auth: boolean;
}

// OpenAPI 3.1 schemas are JSON Schema 2020-12, which is zod's default target, so zod's output
// is used as is; only the per-document keywords go.
function clean(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** A request schema (zod's input side: what clients send). */
const input = (schema: z.ZodType) => clean(z.toJSONSchema(schema, { io: "input" }) as Json);

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string, description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/json": { schema: ref(name) } },
});

const RETRY_AFTER = {
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
};
const SERVER_TIMING = {
  "Server-Timing": {
    description: "Milliseconds per stage: queue, decode, preprocess, infer, postprocess, total.",
    schema: { type: "string" },
  },
};

/** The error statuses a detection can answer, and when. */
const DETECT_ERRORS: [number, string][] = [
  [400, "Bad request: no image, an empty one, or a bad parameter."],
  [401, "API keys are configured and the request has none or a wrong one."],
  [408, "The body stalled or took too long to arrive (BODY_IDLE_TIMEOUT_MS, BODY_TIMEOUT_MS)."],
  [413, "The body or the image (pixels, side, JPEG scans, pixels x scans) is over the limit."],
  [415, "Not a JPEG, PNG or WebP, or a kind the decoders refuse (CMYK JPEG, animated WebP)."],
  [422, "Claims to be a JPEG, PNG or WebP but is broken (truncated, zero size)."],
  [429, "Rate limited; see Retry-After and the RateLimit headers."],
  [503, "Overloaded, too many uploads in flight, warming up or timed out; see Retry-After."],
  [500, "A server fault."],
];

function errorResponses(schema: string, statuses: [number, string][]): Json {
  return Object.fromEntries(
    statuses.map(([status, description]) => [
      String(status),
      json(schema, description, status === 429 || status === 503 ? RETRY_AFTER : undefined),
    ]),
  );
}

/** A raw image body: generators send `format: binary` as bytes (a Blob), not as JSON. */
const BINARY = { type: "string", format: "binary" };
const RAW_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "application/octet-stream"];

/** Any other path or method under /v1: DeepStack's 404 (also the face routes, not offered). */
const V1_NOT_FOUND: [number, string] = [404, "Not here: any other path or method under /v1."];

/** The OpenAPI 3.1 document of both APIs, for `GET /openapi.json`. */
export function openApiDocument(options: OpenApiOptions): Json {
  // Named schemas become components and are referenced by $ref wherever they occur.
  const named = z.registry<{ id: string }>();
  const components: [string, z.ZodType][] = [
    ["DetectResponse", DetectResponse],
    ["Detection", Detection],
    ["Box", Box],
    ["Timings", Timings],
    ["InputSize", InputSize],
    ["ModelResponse", ModelResponse],
    ["Error", ErrorResponse],
    ["DeepStackResponse", DeepStackResponse],
    ["DeepStackPrediction", DeepStackPrediction],
    ["DeepStackError", DeepStackError],
    ["DeepStackPing", DeepStackPing],
    ["DeepStackModelList", DeepStackModelList],
    ["DeepStackUpdate", DeepStackUpdate],
  ];
  for (const [id, schema] of components) named.add(schema, { id });
  const generated = z.toJSONSchema(named, {
    io: "output",
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, Json>;
  const schemas = Object.fromEntries(
    Object.entries(generated).map(([id, s]) => [id, clean(s)]),
  );

  // Without keys no operation needs one ({}); a key sent anyway is ignored, so bearer stays
  // listed and generated clients keep their auth option for a server that turns keys on.
  const security = options.auth ? [{ bearer: [] }] : [{}, { bearer: [] }];
  // DeepStack clients may prove the key in the `api_key` form field instead, which OpenAPI
  // security cannot express: hence "Bearer, or none here and the form field".
  const deepStackSecurity = [{ bearer: [] }, {}];
  const queryParameters = Object.entries(DetectQuery.shape).map(([name, schema]) => {
    const s = input(schema);
    const { description, example, ...rest } = s;
    return { name, in: "query", required: false, description, example, schema: rest };
  });
  const deepStackBody = {
    required: true,
    content: { "multipart/form-data": { schema: input(DeepStackForm) } },
  };
  const deepStackDetect = (operationId: string, summary: string, extra: Json = {}) => ({
    tags: ["DeepStack / CodeProject.AI"],
    operationId,
    summary,
    security: deepStackSecurity,
    ...extra,
    requestBody: deepStackBody,
    responses: {
      "200": json(
        "DeepStackResponse",
        "Predictions, best first, at most 20 (Frigate reads no more).",
        SERVER_TIMING,
      ),
      ...errorResponses("DeepStackError", [
        [400, "No or invalid image, or a bad min_confidence (DeepStack's words)."],
        [401, "Incorrect api key."],
        [413, "The body or the image is over the limit."],
        [429, "Rate limited."],
        [503, "Overloaded or warming up."],
        [500, "A server fault."],
      ]),
    },
  });
  const deepStackGet = (operationId: string, summary: string, schema: string, what: string) => ({
    tags: ["DeepStack / CodeProject.AI"],
    operationId,
    summary,
    security: [],
    responses: {
      "200": json(schema, what),
      ...errorResponses("DeepStackError", [V1_NOT_FOUND]),
    },
  });
  const list = (operationId: string, summary: string) => ({
    tags: ["DeepStack / CodeProject.AI"],
    operationId,
    summary,
    security: deepStackSecurity,
    responses: {
      "200": json("DeepStackModelList", "The model names."),
      ...errorResponses("DeepStackError", [[401, "Incorrect api key."], V1_NOT_FOUND]),
    },
  });

  return {
    openapi: "3.1.0",
    info: {
      title: "nothotdog",
      version: "1",
      license: { name: "MIT (the code; the YOLOv5 weights are AGPL-3.0)", identifier: "MIT" },
      description: "Object detection (YOLOv5, 80 COCO classes) on CPU. Two APIs: the native " +
        "JSON API under /api/v1, and the DeepStack / CodeProject.AI compatible API under /v1 " +
        "that Frigate, Home Assistant, Blue Iris, Agent DVR and Double Take already speak." +
        (options.auth
          ? " API keys are required: Authorization: Bearer KEY (or the api_key form field " +
            "on the DeepStack API)."
          : ""),
    },
    // GET /openapi.json replaces this with the origin the client used.
    servers: [{ url: "/", description: "The server that serves this document." }],
    tags: [
      { name: "Native", description: "The JSON API." },
      { name: "DeepStack / CodeProject.AI", description: "Drop-in for DeepStack clients." },
    ],
    paths: {
      "/api/v1/detect": {
        post: {
          tags: ["Native"],
          operationId: "detect",
          summary: "Detect objects in a JPEG, PNG or WebP",
          description: "Send the image as the raw body (Content-Type image/jpeg, image/png, " +
            "image/webp or application/octet-stream: the format is read from the bytes) or as " +
            "the multipart/form-data field `image`.",
          security,
          parameters: queryParameters,
          requestBody: {
            required: true,
            content: {
              ...Object.fromEntries(RAW_IMAGE_TYPES.map((t) => [t, { schema: BINARY }])),
              "multipart/form-data": { schema: input(DetectForm) },
            },
          },
          responses: {
            "200": json("DetectResponse", "The detections and the verdict.", SERVER_TIMING),
            ...errorResponses("Error", DETECT_ERRORS),
          },
        },
      },
      "/api/v1/model": {
        get: {
          tags: ["Native"],
          operationId: "getModel",
          summary: "The model, its classes and the thresholds in force",
          security,
          responses: {
            "200": json("ModelResponse", "The model."),
            ...errorResponses("Error", [[401, "API key missing or wrong."]]),
          },
        },
      },
      "/v1/vision/detection": {
        post: deepStackDetect("deepStackDetect", "Detect objects (DeepStack's route)"),
      },
      [`/v1/vision/custom/${options.modelName}`]: {
        post: deepStackDetect(
          "deepStackDetectCustom",
          `Detect objects with the custom model ${options.modelName}`,
        ),
      },
      "/v1/vision/custom/list": {
        get: list("listCustomModels", "List the custom models (this server's one model)"),
        post: list("listCustomModelsPost", "List the custom models (DeepStack's POST)"),
      },
      "/v1/status/ping": {
        get: deepStackGet("ping", "Ping", "DeepStackPing", "Alive."),
      },
      "/v1/server/status/ping": {
        get: deepStackGet("serverPing", "Ping (CodeProject.AI's path)", "DeepStackPing", "Alive."),
      },
      "/v1/status/updateavailable": {
        get: deepStackGet(
          "updateAvailable",
          "Update check (Blue Iris asks at start): never an update",
          "DeepStackUpdate",
          "No update available.",
        ),
      },
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "One of the server's API_KEYS, as `Authorization: Bearer KEY`. " +
            "DeepStack clients may send it instead as the `api_key` field of the multipart " +
            "form (as Frigate and Home Assistant do), which is why the /v1 operations also " +
            "allow no header. Required only when the server has API_KEYS set." +
            (options.auth ? " This server has." : " This server has none: the APIs are open."),
        },
      },
    },
  };
}
