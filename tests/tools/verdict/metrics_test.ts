import assert from "node:assert/strict";
import {
  confusion,
  recallAtSpecificity,
  rocAuc,
  thresholdForSpecificity,
  wilson,
} from "../../../tools/verdict/metrics.ts";

const s = (score: number, hotdog: boolean) => ({ score, hotdog });
const SAMPLE = [
  s(0.9, true),
  s(0.8, true),
  s(0.4, true),
  s(0.7, false),
  s(0.3, false),
  s(0.1, false),
];

Deno.test("confusion() counts a photo as hotdog when its score reaches the threshold", () => {
  const c = confusion(SAMPLE, 0.7);
  assert.deepEqual([c.tp, c.fn, c.tn, c.fp], [2, 1, 2, 1]);
  assert.equal(c.recall, 2 / 3);
  assert.equal(c.specificity, 2 / 3);
  assert.equal(c.accuracy, 4 / 6);
  assert.equal(confusion(SAMPLE, 0.71).fp, 0);
});

Deno.test("rocAuc() is the share of hot dog / other pairs ranked right, ties half", () => {
  // Pairs: 0.9 and 0.8 beat all three others (6); 0.4 beats 0.3 and 0.1 (2): 8 of 9.
  assert.equal(rocAuc(SAMPLE), 8 / 9);
  assert.equal(rocAuc([s(0.5, true), s(0.5, false)]), 0.5);
  assert.ok(Number.isNaN(rocAuc([s(0.5, true)])));
});

Deno.test("thresholdForSpecificity() rejects just enough others", async (t) => {
  const scores = [...Array(20).keys()].map((i) => s(i / 20, false));
  await t.step("95% of 20 allows one false hotdog: the threshold sits between the top two", () => {
    const th = thresholdForSpecificity(scores, 0.95);
    assert.ok(th > 18 / 20 && th <= 19 / 20, String(th));
    assert.equal(confusion(scores, th).specificity, 0.95);
  });
  await t.step("100% puts it just above the highest other", () => {
    const th = thresholdForSpecificity(scores, 1);
    assert.ok(th > 19 / 20 && th < 19 / 20 + 1e-9);
  });
  await t.step("recall at that specificity follows", () => {
    assert.equal(recallAtSpecificity(SAMPLE, 1), 2 / 3);
  });
});

Deno.test("wilson() matches the textbook interval", () => {
  const [lo, hi] = wilson(8, 10);
  assert.ok(Math.abs(lo - 0.4902) < 1e-3 && Math.abs(hi - 0.9433) < 1e-3, `${lo} ${hi}`);
  assert.deepEqual(wilson(0, 0).map(Number.isNaN), [true, true]);
});
