import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { roundResult } from "../../inference/round_result.ts";

const decimals = (v: number) => (String(v).split(".")[1] ?? "").length;

Deno.test("roundResult() rounds a real result to 0.001 scores, 0.1 px and 0.1 ms, once", async () => {
  const detector = await loadDetector(DEFAULTS);
  try {
    const raw = await detector.detect(Deno.readFileSync("tests/data/images/bus.jpg"));
    const r = roundResult(raw);
    assert.ok(raw.detections.some((d) => decimals(d.score) > 3), "the raw scores are float noise");
    assert.equal(r.detections.length, raw.detections.length);
    for (const [i, d] of r.detections.entries()) {
      const was = raw.detections[i];
      assert.ok(decimals(d.score) <= 3 && Math.abs(d.score - was.score) <= 0.0005);
      for (const k of ["x1", "y1", "x2", "y2"] as const) {
        assert.ok(decimals(d.box[k]) <= 1 && Math.abs(d.box[k] - was.box[k]) <= 0.05, k);
      }
    }
    assert.ok(decimals(r.hotdogScore) <= 3);
    assert.ok(decimals(r.verdict!.foodScore) <= 3 && decimals(r.verdict!.classScore) <= 3);
    for (const v of Object.values(r.timings)) assert.ok(decimals(v) <= 1);
    assert.deepEqual(roundResult(r), r, "idempotent");
  } finally {
    await detector.close();
  }
});
