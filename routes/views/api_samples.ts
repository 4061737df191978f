/**
 * Real answers of this service for tests/data/images/bus.jpg at the default settings, shown on
 * /api/docs and in README; tests/routes/samples_test.ts checks them against the live service.
 */

/** `POST /api/v1/detect` with the photo as the body (timings vary from run to run). */
export const NATIVE_SAMPLE = {
  model: { name: "yolov5n", inputSize: { width: 320, height: 320 } },
  width: 810,
  height: 1080,
  hotdog: false,
  hotdogScore: 0,
  verdict: { source: "class", threshold: 0.5, classScore: 0, foodScore: 0.001, region: null },
  detections: [
    {
      label: "person",
      classId: 0,
      score: 0.86,
      box: { x1: 41.6, y1: 398.6, x2: 216.8, y2: 892.6 },
    },
    { label: "bus", classId: 5, score: 0.842, box: { x1: 25.2, y1: 228.3, x2: 810, y2: 777.2 } },
    {
      label: "person",
      classId: 0,
      score: 0.696,
      box: { x1: 215.5, y1: 394.6, x2: 359.2, y2: 849 },
    },
    {
      label: "person",
      classId: 0,
      score: 0.496,
      box: { x1: 683.3, y1: 377.2, x2: 810, y2: 866.2 },
    },
  ],
  timings: { decode: 3.1, preprocess: 1.9, infer: 56.2, postprocess: 0.4, total: 61.6, queue: 0.1 },
};

/** `POST /v1/vision/detection` with `min_confidence=0.5` (times and the request id vary). */
export const DEEPSTACK_SAMPLE = {
  success: true,
  predictions: [
    { label: "person", confidence: 0.86, x_min: 41, y_min: 398, x_max: 216, y_max: 892 },
    { label: "bus", confidence: 0.842, x_min: 25, y_min: 228, x_max: 810, y_max: 777 },
    { label: "person", confidence: 0.696, x_min: 215, y_min: 394, x_max: 359, y_max: 849 },
  ],
  duration: 0,
  message: "Found person, bus, person",
  count: 3,
  inferenceMs: 56,
  processMs: 62,
  moduleId: "nothotdog",
  moduleName: "nothotdog object detection (yolov5n)",
  command: "detect",
  requestId: "f644d6bd-ca58-424d-a3ff-42509d71e59d",
  inferenceDevice: "CPU",
  analysisRoundTripMs: 64,
};
