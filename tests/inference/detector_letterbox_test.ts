import assert from "node:assert/strict";
import { loadDetector } from "../../inference/load_detector.ts";
import { DEFAULTS } from "../../config.ts";
import type { RgbaImage } from "../../inference/letterbox.ts";
import type { Detection } from "../../inference/types.ts";
import { boxIou } from "../../inference/postprocess.ts";
import { encodeJpeg, snapshotRgba } from "../bench/_snapshot.ts";

const BUS = "tests/data/images/bus.jpg";

/** The image with `rows` rows of 114 above and below and `cols` columns left and right. */
function padded(img: RgbaImage, cols: number, rows: number): RgbaImage {
  const width = img.width + 2 * cols;
  const height = img.height + 2 * rows;
  const data = new Uint8ClampedArray(width * height * 4).fill(114);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  for (let y = 0; y < img.height; y++) {
    const from = y * img.width * 4;
    data.set(img.data.subarray(from, from + img.width * 4), ((y + rows) * width + cols) * 4);
  }
  return { width, height, data };
}

/**
 * Largest corner distance between detections in a frame and in its padded copy (shifted back
 * by the padding and clipped to the frame), matched in order; Infinity if they differ in kind.
 */
function boxGap(a: Detection[], b: Detection[], frame: RgbaImage, dx: number, dy: number) {
  if (a.length !== b.length) return Infinity;
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  let gap = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].label !== b[i].label) return Infinity;
    const p = a[i].box;
    const q = b[i].box;
    gap = Math.max(
      gap,
      Math.abs(p.x1 - clip(q.x1 - dx, frame.width)),
      Math.abs(p.y1 - clip(q.y1 - dy, frame.height)),
      Math.abs(p.x2 - clip(q.x2 - dx, frame.width)),
      Math.abs(p.y2 - clip(q.y2 - dy, frame.height)),
    );
  }
  return gap;
}

// At 640 on the long side and INPUT_SIZE 320 the scale is 0.5, so padding the frame by 2p pixels
// puts the picture exactly where auto letterboxing pads it by p: the model sees the same tensor
// (up to JPEG noise), and the boxes must come back to the same place in each image.
Deno.test("LETTERBOX=auto maps boxes back exactly from the rectangle", async (t) => {
  const detector = await loadDetector({ ...DEFAULTS, LETTERBOX: "auto" });
  const square = await loadDetector({ ...DEFAULTS, LETTERBOX: "square" });
  try {
    const cases = [
      // [name, aspect, columns, rows]: the padding that makes the frame a multiple of 64.
      ["16:9 frame (320x192 tensor, 6 rows of padding)", 16 / 9, 0, 12],
      ["9:16 frame (192x320 tensor, 6 columns of padding)", 9 / 16, 12, 0],
      ["4:3 frame (320x256 tensor, 8 rows of padding)", 4 / 3, 0, 16],
    ] as const;
    for (const [name, aspect, cols, rows] of cases) {
      await t.step(name, async () => {
        const frame = await snapshotRgba(BUS, 640, { aspect });
        const a = await detector.detect(await encodeJpeg(frame, 95));
        const b = await detector.detect(await encodeJpeg(padded(frame, cols, rows), 95));
        assert.equal(a.width, frame.width);
        assert.equal(a.height, frame.height);
        assert.ok(a.detections.some((d) => d.label === "person"), JSON.stringify(a.detections));
        const gap = boxGap(a.detections, b.detections, frame, cols, rows);
        assert.ok(
          gap <= 2,
          `gap ${gap}: ${JSON.stringify(a.detections)} vs ${JSON.stringify(b.detections)}`,
        );
        // In absolute terms too: the square letterbox (other padding, so not the same numbers)
        // finds each confident object in nearly the same place.
        const s = await square.detect(await encodeJpeg(frame, 95));
        for (const d of a.detections.filter((d) => d.score > 0.5)) {
          const iou = Math.max(
            0,
            ...s.detections.filter((e) => e.label === d.label).map((e) => boxIou(d.box, e.box)),
          );
          assert.ok(iou >= 0.8, `${d.label} IoU ${iou} with the square letterbox's`);
        }
      });
    }
  } finally {
    await detector.close();
    await square.close();
  }
});
