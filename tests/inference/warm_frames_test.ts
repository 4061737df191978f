import assert from "node:assert/strict";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";
import { probeJpeg } from "../../inference/jpeg_probe.ts";
import { scene, warmFrames } from "../../inference/warm_frames.ts";
import { type ModelInfo, warmFrameSizes } from "../../inference/detector.ts";

Deno.test("warm-up frames: baseline colour JPEGs of the sizes asked, decoding to the scene drawn", async () => {
  const sizes = [{ width: 320, height: 180 }, { width: 240, height: 320 }, {
    width: 17,
    height: 9,
  }];
  const frames = await warmFrames(sizes);
  assert.equal(frames.length, sizes.length);
  for (const [i, frame] of frames.entries()) {
    const { width, height } = sizes[i];
    const probe = probeJpeg(frame);
    // As a browser's canvas.toBlob writes them: what the camera page sends.
    assert.deepEqual([probe.width, probe.height, probe.process, probe.components], [
      width,
      height,
      "baseline",
      3,
    ]);
    const decoded = await decodeJpeg(frame);
    const drawn = scene(width, height);
    let error = 0;
    for (let p = 0; p < drawn.length; p += 4) {
      for (let k = 0; k < 3; k++) error += Math.abs(decoded.data[p + k] - drawn[p + k]);
    }
    // Lossy, and the scene is noisy on purpose, but the picture is the one drawn.
    const mean = error / (width * height * 3);
    assert.ok(mean < 16, `mean absolute error ${mean.toFixed(1)} per channel`);
  }
});

Deno.test("warm-up scene: the same pixels every time (warm-up is deterministic)", () => {
  assert.deepEqual(scene(64, 36), scene(64, 36));
});

Deno.test("warm-up snapshots: one per tensor shape, at the input's long side within the limits", () => {
  const plan = (letterbox: "auto" | "square", maxPixels = 1e8) => ({
    info: { inputWidth: 320, inputHeight: 320, letterbox } as ModelInfo,
    limits: { maxPixels, maxSide: 65535 },
  });
  assert.deepEqual(warmFrameSizes(plan("auto")), [
    { width: 320, height: 320 },
    { width: 320, height: 180 },
    { width: 180, height: 320 },
    { width: 320, height: 240 },
    { width: 240, height: 320 },
  ]);
  // Every image gets the same square tensor: one snapshot warms it.
  assert.deepEqual(warmFrameSizes(plan("square")), [{ width: 320, height: 240 }]);
  for (const size of warmFrameSizes(plan("auto", 20_000))) {
    assert.ok(size.width * size.height <= 20_000, JSON.stringify(size));
  }
});
