import assert from "node:assert/strict";
import type { DetectOutput } from "../../../inference/postprocess.ts";
import { classifierTensor } from "../../../inference/classifier.ts";
import { orientedToStored } from "../../../inference/orientation.ts";
import { bestRegion, regionCentre } from "../../../inference/verdict/region.ts";

const logit = (p: number) => Math.log(p / (1 - p));

/** One 2x2 head, one anchor, 3 classes; every logit very negative unless set. */
function head(set: (put: (k: number, cell: number, v: number) => void) => void): DetectOutput {
  const cells = 4;
  const data = new Float32Array(8 * cells).fill(-20);
  set((k, cell, v) => (data[k * cells + cell] = v));
  return { data, ny: 2, nx: 2, stride: 16, anchors: [[20, 10]] };
}
const MAPPING = { scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0, imageWidth: 100, imageHeight: 100 };

Deno.test("bestRegion() decodes the cell that scores the class highest, in image pixels", () => {
  const h = head((put) => {
    // Cell 3 (gx 1, gy 1): objectness 0.8, class 2 at 0.5, centred offsets, anchor-sized box.
    for (const k of [0, 1, 2, 3]) put(k, 3, 0);
    put(4, 3, logit(0.8));
    put(5 + 2, 3, 0);
    // Cell 0: higher objectness but class 2 at 0.1: 0.9 * 0.1 < 0.8 * 0.5.
    put(4, 0, logit(0.9));
    put(5 + 2, 0, logit(0.1));
  });
  const r = bestRegion([h], 2, { ...MAPPING, numClasses: 3 });
  assert.ok(r);
  assert.ok(Math.abs(r.score - 0.4) < 1e-6, String(r.score));
  // Centre (0.5 * 2 - 0.5 + 1) * 16 = 24, size (0.5 * 2)^2 * anchor = 20 x 10, then / 0.5.
  const box = [r.box.x1, r.box.y1, r.box.x2, r.box.y2].map((v) => Math.round(v * 1000) / 1000);
  assert.deepEqual(box, [28, 38, 68, 58]);
});

Deno.test("bestRegion() says null when no cell scores the class above the floor", () => {
  const h = head((put) => {
    put(4, 1, logit(0.9));
    put(5 + 2, 1, logit(0.0005));
  });
  assert.equal(bestRegion([h], 2, { ...MAPPING, numClasses: 3 }), null);
  assert.ok(bestRegion([h], 2, { ...MAPPING, numClasses: 3, floor: 0.0001 }));
});

Deno.test("regionCentre() is the box's centre, null without a region", () => {
  assert.deepEqual(regionCentre({ box: { x1: 10, y1: 20, x2: 30, y2: 60 }, score: 0.1 }), {
    x: 20,
    y: 40,
  });
  assert.equal(regionCentre(null), null);
});

Deno.test("classifierTensor() centres its crop on the point given, kept inside the photo", () => {
  // 400x100, oriented 90° (EXIF 6: stored 100x400): seen as red on the left, blue on the right.
  const stored = { width: 100, height: 400, data: new Uint8ClampedArray(100 * 400 * 4) };
  for (let y = 0; y < 400; y++) {
    for (let x = 0; x < 100; x++) {
      const i = (y * 100 + x) * 4;
      // EXIF 6 turns the stored image clockwise: its last rows are seen on the left.
      stored.data[i] = y >= 200 ? 255 : 0;
      stored.data[i + 2] = y >= 200 ? 0 : 255;
      stored.data[i + 3] = 255;
    }
  }
  const photo = { image: stored, map: orientedToStored(6, 100, 400), width: 400, height: 100 };
  const red = (t: Float32Array) => t.slice(0, 16 * 16).reduce((a, b) => a + b, 0) / 256;
  const left = classifierTensor(photo, 16, 0.875, { x: 0, y: 50 });
  const right = classifierTensor(photo, 16, 0.875, { x: 1e6, y: 50 });
  const centre = classifierTensor(photo, 16, 0.875);
  // Normalised red: (1 - 0.485) / 0.229 where red, -0.485 / 0.229 where blue.
  assert.ok(Math.abs(red(left) - (1 - 0.485) / 0.229) < 1e-3, `left ${red(left)}`);
  assert.ok(Math.abs(red(right) + 0.485 / 0.229) < 1e-3, `right ${red(right)}`);
  assert.ok(Math.abs(red(centre) - (0.5 - 0.485) / 0.229) < 0.1, `centre ${red(centre)}`);
  // No point: the centred crop, as before.
  assert.deepEqual(classifierTensor(photo, 16, 0.875, null), centre);
});
