import assert from "node:assert/strict";
import { decodeModel } from "../../inference/_onnx.ts";
import { Classifier, classifierTensor } from "../../inference/classifier.ts";
import { prepareClassifier } from "../../inference/classifier_prepare.ts";
import { AppError } from "../../inference/errors.ts";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";
import { orientedToStored } from "../../inference/orientation.ts";
import { createSession } from "../../inference/session.ts";
import { listPhotos } from "../_photos.ts";

const PATH = "models/mobilenetv2-12-int8.onnx";
const argmax = (a: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};

Deno.test("prepareClassifier() leaves no int8 op and exposes the 1280 pooled features", async () => {
  const prepared = prepareClassifier(await Deno.readFile(PATH));
  const ops = new Set(decodeModel(prepared.bytes).graph.nodes.map((n) => n.opType));
  for (const op of ops) assert.doesNotMatch(op, /^(QLinear|QuantizeLinear|DequantizeLinear)/);
  assert.ok(ops.has("Conv") && ops.has("MatMul") && ops.has("GlobalAveragePool"));
  assert.deepEqual(
    { classes: prepared.classes, channels: prepared.channels, size: prepared.inputSize },
    { classes: 1000, channels: 1280, size: 224 },
  );
});

Deno.test("Every Conv's Clip has constant scalar bounds, so onnxruntime fuses the pair", async () => {
  // As separate ops the Clips cost 20 ms of a 53 ms run (profiled, issue 12); onnxruntime fuses
  // Conv + Clip into one FusedConv only when min and max are constant initialisers.
  const g = decodeModel(prepareClassifier(await Deno.readFile(PATH)).bytes).graph;
  const constants = new Map(g.initializers.map((t) => [t.name, t]));
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const clips = g.nodes.filter((n) => n.opType === "Clip");
  const afterConv = clips.filter((n) => producer.get(n.inputs[0])?.opType === "Conv");
  assert.equal(afterConv.length, g.nodes.filter((n) => n.opType === "Conv").length);
  for (const clip of clips) {
    for (const bound of clip.inputs.slice(1, 3)) {
      assert.deepEqual(
        constants.get(bound)?.dims,
        [],
        `${clip.name}: ${bound} is not a scalar constant`,
      );
    }
  }
});

Deno.test("The dequantised classifier agrees with the int8 one on real photos", async () => {
  const bytes = await Deno.readFile(PATH);
  const classifier = await Classifier.create(prepareClassifier(bytes));
  const int8 = await createSession({ bytes, inputName: "input" });
  const photos = (await listPhotos()).filter((_, i) => i % 35 === 0);
  let agree = 0;
  let confidentAgree = 0;
  let confident = 0;
  try {
    for (const photo of photos) {
      const image = await decodeJpeg(await Deno.readFile(photo.path), {
        maxPixels: 1e8,
        maxSide: 65535,
      });
      const x = classifierTensor({
        image,
        map: orientedToStored(image.info.orientation, image.width, image.height),
        width: image.info.orientedWidth,
        height: image.info.orientedHeight,
      }, 224);
      const ours = await classifier.run(x.slice());
      const theirs = (await int8.run(x, [1, 3, 224, 224])).get("output")!.data;
      assert.equal(ours.pooled.length, 1280);
      const same = argmax(ours.logits) === argmax(theirs);
      if (same) agree++;
      // Where int8 is sure (top logit well above the runner-up), rounding cannot flip it.
      const sorted = [...theirs].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] > 2) {
        confident++;
        if (same) confidentAgree++;
      }
    }
  } finally {
    await classifier.close();
    await int8.release();
  }
  assert.ok(confident >= 5, `only ${confident} confident photos`);
  assert.equal(confidentAgree, confident);
  assert.ok(agree >= photos.length * 0.75, `top-1 agrees on ${agree} of ${photos.length}`);
});

Deno.test("prepareClassifier() refuses what is not a classifier, naming why", () => {
  assert.throws(() => prepareClassifier(new Uint8Array([1, 2, 3])), AppError);
  // The detector has no GlobalAveragePool + classifier layer.
  assert.throws(
    () => prepareClassifier(Deno.readFileSync("models/yolov5n.onnx")),
    (e: unknown) => e instanceof AppError && /Cannot prepare classifier/.test(e.message),
  );
});
