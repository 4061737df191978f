import assert from "node:assert/strict";
import { prepareModel } from "../../../inference/model_prepare.ts";
import { createSession } from "../../../inference/session.ts";
import { DEFAULT_FEATURES, prepareOptionsFor } from "../../../inference/verdict/features.ts";
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
      // backbone (3 stages), sppf (1), neck (3): one average-pooled output each.
      assert.equal(prepared.featureOutputs.length, 7);
      const session = await createSession(prepared);
      const out = await session.run(input(320), [1, 3, 320, 320]);
      await session.release();
      const feats = prepared.featureOutputs.map((name) => out.get(name)!);
      assert.deepEqual(feats.map((f) => f.dims[1]), [64, 128, 256, 256, 64, 128, 256]);
      assert.ok(feats.every((f) => f.dims[2] === 1 && f.dims[3] === 1));
      pooled.push(feats.map((f) => f.data));
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

Deno.test("prepareModel() pools max as well as average when asked", async () => {
  const prepared = prepareModel(await Deno.readFile(MODELS[0]), {
    features: ["sppf"],
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
