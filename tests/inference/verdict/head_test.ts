import assert from "node:assert/strict";
import {
  fitStandardiser,
  headLogit,
  headScore,
  type LogisticHead,
  sigmoid,
  standardise,
} from "../../../inference/verdict/head.ts";
import { featureVector } from "../../../inference/verdict/features.ts";

const close = (a: number, b: number, eps = 1e-12) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} is not ${b}`);

Deno.test("The logistic head standardises, then weighs, on hand-made vectors", async (t) => {
  const head: LogisticHead = {
    kind: "logistic",
    mean: [1, 2],
    scale: [2, 4],
    weights: [1, -1],
    bias: 0.5,
  };
  await t.step("x = mean gives the bias alone", () => {
    close(headLogit(head, [1, 2]), 0.5);
    close(headScore(head, [1, 2]), sigmoid(0.5));
  });
  await t.step("one scale up on the first feature adds its weight", () => {
    // (3 - 1) / 2 = 1 -> 0.5 + 1 * 1; (2 - 2) / 4 = 0.
    close(headLogit(head, [3, 2]), 1.5);
  });
  await t.step("both features move the logit by weight / scale", () => {
    // (0 - 1) / 2 = -0.5 -> -0.5; (10 - 2) / 4 = 2 -> -2; 0.5 - 0.5 - 2.
    close(headLogit(head, [0, 10]), -2);
    close(headScore(head, [0, 10]), 1 / (1 + Math.exp(2)));
  });
  await t.step("a vector of the wrong length is refused, naming both lengths", () => {
    assert.throws(() => headScore(head, [1, 2, 3]), /vector of 3 features: the head expects 2/);
  });
});

Deno.test("fitStandardiser() gives each column its mean and spread, constants scale 1", () => {
  const s = fitStandardiser([[1, 5], [3, 5]]);
  assert.deepEqual(s.mean, [2, 5]);
  assert.deepEqual(s.scale, [1, 1]);
  assert.deepEqual(Array.from(standardise(s, [4, 7])), [2, 2]);
});

Deno.test("featureVector() concatenates pooled outputs, then floored log class maxima", () => {
  const v = featureVector([[1, 2], [3]], [0.5, 0, 1e-6], {
    pooled: ["neck"],
    pooling: "picture",
    scores: "logClassMax",
  });
  assert.deepEqual(Array.from(v), [1, 2, 3, Math.log(0.5), Math.log(1e-4), Math.log(1e-4)]);
  const bare = featureVector([[1, 2]], [0.5], {
    pooled: ["neck"],
    pooling: "global",
    scores: "none",
  });
  assert.deepEqual(Array.from(bare), [1, 2]);
});
