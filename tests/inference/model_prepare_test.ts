import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { prepareModel } from "../../inference/model_prepare.ts";
import { createSession } from "../../inference/session.ts";
import { AppError } from "../../inference/errors.ts";

const MODELS = ["models/yolov5n.onnx", "models/yolov5n-fp16.onnx"];

/** A deterministic, image-like input: smooth gradients plus a little noise. */
function syntheticInput(size: number): Float32Array {
  const out = new Float32Array(3 * size * size);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = 0.5 + 0.4 * Math.sin((x + c * 50) / 37) * Math.cos((y - c * 20) / 23);
        out[c * size * size + y * size + x] = Math.min(1, Math.max(0, v + (rand() - 0.5) * 0.1));
      }
    }
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("prepareModel() reads both exports: classes, anchors and three head outputs", async (t) => {
  for (const path of MODELS) {
    await t.step(path, async () => {
      const prepared = prepareModel(await Deno.readFile(path));
      assert.equal(prepared.classNames.length, 80);
      assert.equal(prepared.classNames[0], "person");
      assert.equal(prepared.classNames[52], "hot dog");
      assert.equal(prepared.heads.length, 3);
      assert.deepEqual(prepared.heads.map((h) => h.anchors), [
        [[10, 13], [16, 30], [33, 23]],
        [[30, 61], [62, 45], [59, 119]],
        [[116, 90], [156, 198], [373, 326]],
      ]);
      assert.equal(prepared.maxStride, 32);
      assert.equal(prepared.sourceInputType, path.includes("fp16") ? "float16" : "float32");
    });
  }
});

Deno.test("prepareModel() output reproduces the export's own Detect decode at 640", async (t) => {
  const input = syntheticInput(640);
  for (const path of MODELS) {
    await t.step(path, async () => {
      const bytes = await Deno.readFile(path);
      const prepared = prepareModel(bytes);
      const session = await createSession(prepared);
      const heads = await session.run(input, [1, 3, 640, 640]);
      await session.release();

      const original = await ort.InferenceSession.create(bytes);
      const inputType = original.inputMetadata[0];
      const isHalf = "type" in inputType && inputType.type === "float16";
      const feed = isHalf
        ? new ort.Tensor("float16", new Uint16Array(Float16Array.from(input).buffer), [
          1,
          3,
          640,
          640,
        ])
        : new ort.Tensor("float32", input, [1, 3, 640, 640]);
      const result = await original.run({ [original.inputNames[0]]: feed });
      const reference = Float32Array.from(
        result[original.outputNames[0]].data as ArrayLike<number>,
      );
      await original.release();
      assert.equal(reference.length, 25200 * 85);

      let row = 0;
      let maxProbDiff = 0;
      let maxBoxDiff = 0;
      for (const [i, head] of prepared.heads.entries()) {
        const out = heads.get(head.name)!;
        const [, , ny, nx] = out.dims;
        const stride = 640 / ny;
        const cells = ny * nx;
        for (let a = 0; a < 3; a++) {
          for (let cell = 0; cell < cells; cell++, row++) {
            const v = (k: number) => out.data[(a * 85 + k) * cells + cell];
            const gx = cell % nx;
            const gy = Math.floor(cell / nx);
            const [aw, ah] = head.anchors![a];
            const mine = [
              (sigmoid(v(0)) * 2 - 0.5 + gx) * stride,
              (sigmoid(v(1)) * 2 - 0.5 + gy) * stride,
              (sigmoid(v(2)) * 2) ** 2 * aw,
              (sigmoid(v(3)) * 2) ** 2 * ah,
            ];
            for (let k = 0; k < 4; k++) {
              maxBoxDiff = Math.max(maxBoxDiff, Math.abs(mine[k] - reference[row * 85 + k]));
            }
            for (let k = 4; k < 85; k++) {
              const diff = Math.abs(sigmoid(v(k)) - reference[row * 85 + k]);
              maxProbDiff = Math.max(maxProbDiff, diff);
            }
          }
        }
        assert.ok(i < 3);
      }
      assert.equal(row, 25200);
      // The exports compute in float16 (about 3 significant digits); we compute in float32.
      assert.ok(maxProbDiff < 0.01, `probabilities differ by ${maxProbDiff}`);
      assert.ok(maxBoxDiff < 2, `box coordinates differ by ${maxBoxDiff} px`);
    });
  }
});

Deno.test("prepareModel() frees the input size: any multiple of 32 runs", async () => {
  const prepared = prepareModel(await Deno.readFile(MODELS[0]));
  const session = await createSession(prepared);
  for (const [w, h] of [[320, 320], [320, 256], [416, 416], [96, 64]]) {
    const out = await session.run(new Float32Array(3 * w * h), [1, 3, h, w]);
    const dims = prepared.heads.map((head) => out.get(head.name)!.dims.join("x"));
    assert.deepEqual(dims, [
      `1x255x${h / 8}x${w / 8}`,
      `1x255x${h / 16}x${w / 16}`,
      `1x255x${h / 32}x${w / 32}`,
    ]);
  }
  await session.release();
});

Deno.test("prepareModel() can expose pooled features as extra outputs", async () => {
  const bytes = await Deno.readFile(MODELS[1]);
  const prepared = prepareModel(bytes, { features: ["/model.9/cv2/act/Mul_output_0"] });
  assert.equal(prepared.featureOutputs.length, 1);
  const session = await createSession(prepared);
  const out = await session.run(syntheticInput(320), [1, 3, 320, 320]);
  const feat = out.get(prepared.featureOutputs[0])!;
  assert.deepEqual(feat.dims, [1, 256, 1, 1]);
  assert.ok(feat.data.some((v) => v !== 0));
  await session.release();
});

Deno.test("prepareModel() refuses what is not a YOLOv5 export with model_invalid", async (t) => {
  const check = (bytes: Uint8Array, pattern: RegExp) => {
    assert.throws(() => prepareModel(bytes), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "model_invalid");
      assert.match(err.message, pattern);
      return true;
    });
  };
  await t.step(
    "random bytes",
    () => check(new Uint8Array([0xff, 0xff, 0xff, 0x07]), /Cannot prepare model/),
  );
  await t.step(
    "a JPEG",
    async () => check(await Deno.readFile("tests/data/images/bus.jpg"), /Cannot prepare model/),
  );
  await t.step("a truncated model", async () => {
    const bytes = await Deno.readFile(MODELS[0]);
    check(bytes.subarray(0, 100_000), /Cannot prepare model/);
  });
});
