import assert from "node:assert/strict";
import { boxIou, type DetectOutput, nms, postprocess } from "../../inference/postprocess.ts";

const NAMES = ["cat", "dog"];
const NO = NAMES.length + 5;
const logit = (p: number) => Math.log(p / (1 - p));

/** A head of 2 anchors on a 2x2 grid at stride 8 where every logit is very negative. */
function emptyHead(): DetectOutput {
  return {
    data: new Float32Array(2 * NO * 4).fill(-20),
    ny: 2,
    nx: 2,
    stride: 8,
    anchors: [[10, 20], [30, 40]],
  };
}

/** Writes one cell's logits: centre offsets and size as sigmoid outputs, objectness, classes. */
function setCell(
  head: DetectOutput,
  anchor: number,
  cell: number,
  v: { sx: number; sy: number; sw: number; sh: number; obj: number; cls: number[] },
) {
  const cells = head.ny * head.nx;
  const base = anchor * NO * cells;
  const put = (k: number, p: number) => (head.data[base + k * cells + cell] = logit(p));
  put(0, v.sx);
  put(1, v.sy);
  put(2, v.sw);
  put(3, v.sh);
  put(4, v.obj);
  v.cls.forEach((p, c) => put(5 + c, p));
}

// What the service passes by default (CONF_THRESHOLD, IOU_THRESHOLD, MAX_DETECTIONS).
const THRESHOLDS = { conf: 0.25, iou: 0.45, maxDetections: 300 };
const identity = { scaleX: 1, scaleY: 1, padX: 0, padY: 0, imageWidth: 1000, imageHeight: 1000 };
const near = (a: number, b: number, eps = 1e-3) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

Deno.test("postprocess() decodes YOLOv5 boxes: xy = (2s - 0.5 + grid) * stride, wh = (2s)^2 * anchor", () => {
  const head = emptyHead();
  // Cell 3 is (gx 1, gy 1); anchor 1 is 30x40.
  setCell(head, 1, 3, { sx: 0.5, sy: 0.75, sw: 0.3, sh: 0.25, obj: 0.9, cls: [0.1, 0.8] });
  const { detections } = postprocess([head], {
    ...THRESHOLDS,
    classNames: NAMES,
    ...identity,
  });
  assert.equal(detections.length, 1);
  const d = detections[0];
  assert.equal(d.label, "dog");
  assert.equal(d.classId, 1);
  near(d.score, 0.72);
  // cx = (1 - 0.5 + 1) * 8 = 12, cy = (1.5 - 0.5 + 1) * 8 = 16; w = 0.36 * 30, h = 0.25 * 40.
  near(d.box.x1, 12 - 5.4);
  near(d.box.x2, 12 + 5.4);
  near(d.box.y1, 16 - 5);
  near(d.box.y2, 16 + 5);
});

Deno.test("postprocess() applies the confidence threshold to objectness and to obj x class", async (t) => {
  await t.step("obj 0.9 x cls 0.25 = 0.225 is under 0.25: dropped", () => {
    const head = emptyHead();
    setCell(head, 0, 0, { sx: 0.5, sy: 0.5, sw: 0.5, sh: 0.5, obj: 0.9, cls: [0.25, 0.1] });
    assert.equal(
      postprocess([head], {
        ...THRESHOLDS,
        classNames: NAMES,
        ...identity,
      }).detections.length,
      0,
    );
    const low = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      conf: 0.2,
      ...identity,
    });
    assert.equal(low.detections.length, 1);
  });
  await t.step("classBest and classMax report what was under the threshold", () => {
    const head = emptyHead();
    setCell(head, 0, 0, { sx: 0.5, sy: 0.5, sw: 0.5, sh: 0.5, obj: 0.5, cls: [0.4, 0.3] });
    const r = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      ...identity,
    });
    assert.equal(r.detections.length, 0);
    near(r.classBest[0], 0.2);
    near(r.classBest[1], 0); // dog is never the best class in any cell
    near(r.classMax[1], 0.15);
  });
});

Deno.test("postprocess() runs class-aware NMS and honours max and class filters", async (t) => {
  const head = emptyHead();
  // Two overlapping cats (anchor 0 and 1 at the same cell) and one dog at the same place.
  setCell(head, 0, 0, { sx: 0.5, sy: 0.5, sw: 0.6, sh: 0.6, obj: 0.9, cls: [0.9, 0.1] });
  setCell(head, 1, 0, { sx: 0.5, sy: 0.5, sw: 0.35, sh: 0.4, obj: 0.8, cls: [0.9, 0.1] });
  setCell(head, 0, 1, { sx: 0.5, sy: 0.5, sw: 0.6, sh: 0.6, obj: 0.7, cls: [0.1, 0.9] });
  await t.step("the weaker overlapping cat is suppressed, the dog is kept", () => {
    const { detections } = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      ...identity,
    });
    assert.deepEqual(detections.map((d) => d.label), ["cat", "dog"]);
  });
  await t.step("a loose IoU threshold keeps both cats", () => {
    const { detections } = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      iou: 0.99,
      ...identity,
    });
    assert.deepEqual(detections.map((d) => d.label), ["cat", "cat", "dog"]);
  });
  await t.step("maxDetections keeps the best", () => {
    const { detections } = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      maxDetections: 1,
      ...identity,
    });
    assert.deepEqual(detections.map((d) => [d.label, Math.round(d.score * 100)]), [["cat", 81]]);
  });
  await t.step("a class filter keeps only that class", () => {
    const { detections } = postprocess([head], {
      ...THRESHOLDS,
      classNames: NAMES,
      classes: [1],
      ...identity,
    });
    assert.deepEqual(detections.map((d) => d.label), ["dog"]);
  });
});

Deno.test("postprocess() maps boxes back through the letterbox and clips them", () => {
  const head = emptyHead();
  setCell(head, 1, 0, { sx: 0.5, sy: 0.5, sw: 0.5, sh: 0.5, obj: 0.9, cls: [0.9, 0.1] });
  // Box in tensor space: centre (4, 4), 30x40 -> [-11, -16, 19, 24].
  const { detections } = postprocess([head], {
    ...THRESHOLDS,
    classNames: NAMES,
    scaleX: 0.5,
    scaleY: 0.5,
    padX: 2,
    padY: 0,
    imageWidth: 100,
    imageHeight: 40,
  });
  const b = detections[0].box;
  near(b.x1, 0);
  near(b.y1, 0);
  near(b.x2, (19 - 2) / 0.5);
  near(b.y2, 40); // 48 clipped to the image height
});

Deno.test("postprocess() refuses a head tensor smaller than its declared shape", () => {
  const head = emptyHead();
  assert.throws(
    () =>
      postprocess([{ ...head, data: head.data.subarray(1) }], {
        ...THRESHOLDS,
        classNames: NAMES,
        ...identity,
      }),
    /smaller than 2x7x2x2/,
  );
});

Deno.test("boxIou() and nms() on hand-made boxes", () => {
  const a = { x1: 0, y1: 0, x2: 10, y2: 10 };
  assert.equal(boxIou(a, a), 1);
  assert.equal(boxIou(a, { x1: 10, y1: 10, x2: 20, y2: 20 }), 0);
  near(boxIou(a, { x1: 5, y1: 0, x2: 15, y2: 10 }), 50 / 150);
  const boxes = [
    { ...a, cls: 0 },
    { x1: 1, y1: 0, x2: 11, y2: 10, cls: 0 },
    { x1: 1, y1: 0, x2: 11, y2: 10, cls: 1 },
  ];
  assert.deepEqual(nms(boxes, 0.45, 10), [boxes[0], boxes[2]]);
});
