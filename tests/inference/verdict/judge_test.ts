import assert from "node:assert/strict";
import { DEFAULTS } from "../../../config.ts";
import { loadDetector } from "../../../inference/load_detector.ts";
import { foodClassIds } from "../../../inference/verdict/features.ts";
import { headScore } from "../../../inference/verdict/head.ts";
import { judge, type RunOutputs } from "../../../inference/verdict/judge.ts";
import { loadVerdictModel } from "../../../inference/verdict/model.ts";

const model = (await loadVerdictModel(DEFAULTS.VERDICT_HEAD))!;
// The class names the served model carries.
const detector = await loadDetector(DEFAULTS);
const COCO_CLASSES = detector.info.classNames;
await detector.close();
const food = foodClassIds(COCO_CLASSES);
const options = {
  model,
  threshold: 0.5,
  hotdogClass: COCO_CLASSES.indexOf("hot dog"),
  foodClasses: food,
};

/** A run whose pooled maps count how often they are asked for. */
function run(classMax: Float32Array): RunOutputs & { pooledCalls: () => number } {
  let calls = 0;
  // As many pooled values as the head reads before its 80 class scores.
  const pooled = [Float32Array.from({ length: model.features.length - 80 }, (_, i) => (i % 7) / 7)];
  return {
    pooled: () => {
      calls++;
      return pooled;
    },
    classMax,
    classBest: new Float32Array(80),
    detectOutputs: [],
    mapping: { scaleX: 1, scaleY: 1, padX: 0, padY: 0, imageWidth: 320, imageHeight: 320 },
    pooledCalls: () => calls,
  };
}

Deno.test("The verdict pools the feature maps only for a photo the head judges", async (t) => {
  assert.equal(COCO_CLASSES.length, 80);
  await t.step("no food: COCO's class decides and nothing is pooled", () => {
    const r = run(new Float32Array(80).fill(0.5).map((v, c) => (food.includes(c) ? 0 : v)));
    const j = judge(r, options);
    assert.equal(j.verdict.source, "class");
    assert.equal(j.features, null);
    assert.equal(r.pooledCalls(), 0);
  });
  await t.step("food over the gate's floor: pooled once, and the head scores that vector", () => {
    const classMax = new Float32Array(80);
    classMax[food[0]] = 0.5;
    const r = run(classMax);
    const j = judge(r, options);
    assert.equal(j.verdict.source, "head");
    assert.equal(r.pooledCalls(), 1);
    assert.equal(j.hotdogScore, headScore(model.head, j.features!));
  });
  await t.step("asked for the features (analysis, training): pooled whatever the gate says", () => {
    const r = run(new Float32Array(80));
    const j = judge(r, { ...options, features: model.features });
    assert.equal(j.verdict.source, "class");
    assert.equal(r.pooledCalls(), 1);
    assert.equal(j.features!.length, model.features.length);
  });
});
