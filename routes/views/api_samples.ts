/**
 * Real answers of this service for tests/data/images/bus.jpg at the default settings, shown on
 * /api/docs and in README; tests/routes/samples_test.ts checks them against the live service.
 */

/** `POST /api/v1/detect` with the photo as the body (timings vary from run to run). */
export const NATIVE_SAMPLE = {
  model: {
    name: "yolov5n",
    inputSize: {
      width: 320,
      height: 320,
    },
  },
  width: 810,
  height: 1080,
  hotdog: false,
  hotdogScore: 0,
  verdict: {
    source: "class",
    threshold: 0.5,
    classScore: 0,
    foodScore: 0.001,
    region: null,
    secondOpinion: null,
  },
  detections: [
    {
      label: "person",
      classId: 0,
      score: 0.864,
      box: {
        x1: 40.7,
        y1: 394.4,
        x2: 218,
        y2: 893.6,
      },
    },
    {
      label: "bus",
      classId: 5,
      score: 0.844,
      box: {
        x1: 26.4,
        y1: 227.7,
        x2: 810,
        y2: 770.9,
      },
    },
    {
      label: "person",
      classId: 0,
      score: 0.697,
      box: {
        x1: 215.7,
        y1: 394.6,
        x2: 359.2,
        y2: 849.6,
      },
    },
    {
      label: "person",
      classId: 0,
      score: 0.422,
      box: {
        x1: 684.1,
        y1: 360,
        x2: 810,
        y2: 863.5,
      },
    },
  ],
  timings: {
    decode: 22.4,
    preprocess: 2.9,
    infer: 59.8,
    postprocess: 2,
    verdict: 0.5,
    total: 87.7,
    queue: 0,
  },
};

/** `POST /v1/vision/detection` with `min_confidence=0.5` (times and the request id vary). */
export const DEEPSTACK_SAMPLE = {
  success: true,
  predictions: [
    {
      label: "person",
      confidence: 0.864,
      x_min: 40,
      y_min: 394,
      x_max: 218,
      y_max: 893,
    },
    {
      label: "bus",
      confidence: 0.844,
      x_min: 26,
      y_min: 227,
      x_max: 810,
      y_max: 770,
    },
    {
      label: "person",
      confidence: 0.697,
      x_min: 215,
      y_min: 394,
      x_max: 359,
      y_max: 849,
    },
  ],
  duration: 0,
  message: "Found person, bus, person",
  count: 3,
  inferenceMs: 47,
  processMs: 73,
  moduleId: "nothotdog",
  moduleName: "nothotdog object detection (yolov5n)",
  command: "detect",
  requestId: "9921b5fc-fd7a-447d-8e2e-fe7744b6d7d9",
  inferenceDevice: "CPU",
  analysisRoundTripMs: 79,
};
