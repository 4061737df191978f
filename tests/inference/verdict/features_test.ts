import assert from "node:assert/strict";
import { Detector } from "../../../inference/detector.ts";
import { prepareModel } from "../../../inference/model_prepare.ts";
import { createSession } from "../../../inference/session.ts";
import {
  DEFAULT_FEATURES,
  picturePool,
  prepareOptionsFor,
} from "../../../inference/verdict/features.ts";
import { featureTap } from "../../../inference/verdict/taps.ts";
import { AppError } from "../../../inference/errors.ts";

const MODELS = ["models/yolov5n.onnx", "models/yolov5n-fp16.onnx"];

/** A smooth, image-like input with a little seeded noise. */
function input(size: number): Float32Array {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return Float32Array.from(
    { length: 3 * size * size },
    (_, i) => 0.5 + 0.3 * Math.sin(i / 97) + (rand() - 0.5) * 0.1,
  );
}

Deno.test("The verdict's feature sets are found by structure in both exports", async (t) => {
  const pooled: Float32Array[][] = [];
  for (const path of MODELS) {
    await t.step(path, async () => {
      const prepared = prepareModel(await Deno.readFile(path), prepareOptionsFor(DEFAULT_FEATURES));
      // backbone (3 stages), sppf (1), neck (3): each map an output, pooled over the picture.
      assert.equal(prepared.featureOutputs.length, 7);
      const session = await createSession(prepared);
      const out = await session.run(input(320), [1, 3, 320, 320]);
      await session.release();
      const feats = prepared.featureOutputs.map((name) => out.get(name)!);
      assert.deepEqual(feats.map((f) => f.dims[1]), [64, 128, 256, 256, 64, 128, 256]);
      assert.deepEqual(feats.map((f) => f.dims[2]), [40, 20, 10, 10, 40, 20, 10]);
      const whole = {
        mapping: { scaleX: 1, scaleY: 1, padX: 0, padY: 0, imageWidth: 320, imageHeight: 320 },
        inputWidth: 320,
        inputHeight: 320,
      };
      pooled.push(feats.map((f) => picturePool(f, whole)));
    });
  }
  await t.step("the two exports (tensor names differ) give the same values", () => {
    let worst = 0;
    pooled[0].forEach((a, k) =>
      a.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - pooled[1][k][j]))))
    );
    // The exports store float16 weights; activations agree to about 3 significant digits.
    assert.ok(worst < 0.02, `pooled features differ by ${worst}`);
  });
});

Deno.test("picturePool() averages the cells the picture covers, weighted by coverage", () => {
  // One channel on a 4 x 2 grid (stride 8 on a 32 x 16 input): the picture is x 4..20, y 0..16,
  // so column 0 is half covered, columns 1 wholly, column 2 half, column 3 not at all.
  const data = Float32Array.from([1, 2, 3, 100, 1, 2, 3, 100]);
  const pooled = picturePool({ data, dims: [1, 1, 2, 4] }, {
    mapping: { scaleX: 0.5, scaleY: 0.5, padX: 4, padY: 0, imageWidth: 32, imageHeight: 32 },
    inputWidth: 32,
    inputHeight: 16,
  });
  assert.ok(Math.abs(pooled[0] - (0.5 * 1 + 2 + 0.5 * 3) / 2) < 1e-6, String(pooled[0]));
  // Padding only above and below: rows outside the picture never count, whatever they hold.
  const tall = Float32Array.from([9, 9, 5, 7, 9, 9]);
  const [v] = picturePool({ data: tall, dims: [1, 1, 3, 2] }, {
    mapping: { scaleX: 1, scaleY: 1, padX: 0, padY: 8, imageWidth: 16, imageHeight: 8 },
    inputWidth: 16,
    inputHeight: 24,
  });
  assert.equal(v, 6);
});

Deno.test("prepareModel() pools max as well as average when asked", async () => {
  const prepared = prepareModel(await Deno.readFile(MODELS[0]), {
    features: [featureTap("sppf")],
    pooling: ["avg", "max"],
  });
  const session = await createSession(prepared);
  const out = await session.run(input(320), [1, 3, 320, 320]);
  await session.release();
  const [avg, max] = prepared.featureOutputs.map((name) => out.get(name)!.data);
  assert.equal(avg.length, 256);
  assert.ok(avg.every((v, j) => max[j] >= v));
});

Deno.test("prepareModel() names the feature tensor it cannot find", () => {
  assert.throws(
    () => prepareModel(Deno.readFileSync(MODELS[0]), { features: ["no-such-tensor"] }),
    (err: unknown) =>
      err instanceof AppError && err.code === "model_invalid" &&
      /no tensor named "no-such-tensor"/.test(err.message),
  );
});

Deno.test("Pooling over the picture makes the features nearly independent of the padding", async () => {
  // A 512x384 photo sits in 320x320 with 40 rows of padding above and below, and in 320x256
  // with 8: the same scale, so only the padding differs.
  const bytes = await Deno.readFile("tests/data/hotdog/seefood-train/hot_dog/930190.jpg");
  const model = await Deno.readFile(MODELS[0]);
  const vector = async (height: number, pooling: "picture" | "global") => {
    const detector = await Detector.create({
      model,
      modelName: "yolov5n",
      inputWidth: 320,
      inputHeight: height,
      conf: 0.25,
      iou: 0.45,
      maxDetections: 3,
      hotdogThreshold: 0.5,
      maxPixels: 1e8,
      maxSide: 65535,
      features: { ...DEFAULT_FEATURES, pooling },
    });
    try {
      return (await detector.analyse(bytes)).features!;
    } finally {
      await detector.close();
    }
  };
  // The pooled part only (1,152 values); the class maxima follow.
  const relative = (a: Float64Array, b: Float64Array) => {
    let d = 0, n = 0;
    for (let i = 0; i < 1152; i++) {
      d += (a[i] - b[i]) ** 2;
      n += a[i] ** 2;
    }
    return Math.sqrt(d / n);
  };
  const picture = relative(await vector(320, "picture"), await vector(256, "picture"));
  const global = relative(await vector(320, "global"), await vector(256, "global"));
  assert.ok(picture < 0.1, `picture pooling moved ${picture}`);
  assert.ok(picture < global / 2, `picture ${picture} vs whole grid ${global}`);
});
