import assert from "node:assert/strict";
import { classifierTensor } from "../../inference/classifier.ts";
import { orientedToStored } from "../../inference/orientation.ts";

Deno.test("classifierTensor() normalises with ImageNet's mean and std, into `out` when given", () => {
  const [w, h] = [40, 30];
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([128, 64, 200, 255], i * 4);
  const photo = {
    image: { width: w, height: h, data },
    map: orientedToStored(1, w, h),
    width: w,
    height: h,
  };
  const out = new Float32Array(3 * 8 * 8);
  const tensor = classifierTensor(photo, 8, 0.875, null, out);
  assert.equal(tensor, out);
  // As the letterbox's 0-1 tensor normalised afterwards: level / 255 as a float32, then the rest.
  const expected = [[128, 0.485, 0.229], [64, 0.456, 0.224], [200, 0.406, 0.225]].map((
    [v, mean, std],
  ) => Math.fround((Math.fround(v * (1 / 255)) - mean) * (1 / std)));
  for (let c = 0; c < 3; c++) {
    assert.ok(tensor.subarray(c * 64, (c + 1) * 64).every((x) => x === expected[c]), `plane ${c}`);
  }
  assert.deepEqual(classifierTensor(photo, 8), tensor);
});
