import assert from "node:assert/strict";
import { seededRandom, stratifiedFolds } from "../../../tools/verdict/folds.ts";
import { headScore } from "../../../inference/verdict/head.ts";
import { fitLogistic, lbfgs } from "../../../tools/verdict/logistic.ts";
import { confusion, rocAuc } from "../../../tools/verdict/metrics.ts";
import { crossValidate, foodFloor, shiftToHalf, trainHead } from "../../../tools/verdict/train.ts";

/** Two seeded Gaussian blobs in `dims` dimensions, apart along the first two axes only. */
function blobs(n: number, dims: number, seed: number) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: Float64Array[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const hotdog = i % 2 === 0;
    const x = Float64Array.from({ length: dims }, () => gauss());
    x[0] += hotdog ? 1.5 : -1.5;
    x[1] += hotdog ? -1 : 1;
    rows.push(x);
    labels.push(hotdog);
  }
  return { rows, labels };
}

Deno.test("lbfgs() finds the minimum of a badly scaled quadratic", () => {
  const r = lbfgs(
    (x, g) => {
      g[0] = 2 * (x[0] - 3);
      g[1] = 200 * (x[1] + 1);
      return (x[0] - 3) ** 2 + 100 * (x[1] + 1) ** 2;
    },
    new Float64Array(2),
    { maxIterations: 100, tolerance: 1e-10 },
  );
  assert.ok(Math.abs(r.x[0] - 3) < 1e-8 && Math.abs(r.x[1] + 1) < 1e-8, String(r.x));
});

Deno.test("fitLogistic() converges on a tiny synthetic set and separates it", async (t) => {
  const { rows, labels } = blobs(60, 5, 7);
  const fit = fitLogistic(rows, labels, { l2: 0.01 });
  await t.step("the gradient vanishes well within the iteration cap", () => {
    assert.ok(fit.gradientNorm < 1e-6, `gradient ${fit.gradientNorm}`);
    assert.ok(fit.iterations < 500, `${fit.iterations} iterations`);
  });
  await t.step("the informative features get the right signs, the noise small weights", () => {
    const w = fit.head.weights;
    assert.ok(w[0] > 0 && w[1] < 0, String(w));
    for (const j of [2, 3, 4]) assert.ok(Math.abs(w[j]) < Math.abs(w[0]), String(w));
  });
  await t.step("it ranks its training set almost perfectly", () => {
    const scored = rows.map((r, i) => ({ score: headScore(fit.head, r), hotdog: labels[i] }));
    assert.ok(rocAuc(scored) > 0.97, String(rocAuc(scored)));
  });
  await t.step("a stronger penalty shrinks the weights", () => {
    const strong = fitLogistic(rows, labels, { l2: 1 });
    assert.ok(Math.abs(strong.head.weights[0]) < Math.abs(fit.head.weights[0]));
  });
  await t.step("the same data gives the same weights, bit for bit", () => {
    assert.deepEqual(fitLogistic(rows, labels, { l2: 0.01 }).head, fit.head);
  });
});

Deno.test("stratifiedFolds() spreads each stratum evenly and repeats for a seed", () => {
  const strata = [...Array(40)].map((_, i) => (i < 30 ? "a" : "b"));
  const folds = stratifiedFolds(strata, { k: 5, seed: 1 });
  for (let f = 0; f < 5; f++) {
    assert.equal(folds.filter((x, i) => x === f && strata[i] === "a").length, 6);
    assert.equal(folds.filter((x, i) => x === f && strata[i] === "b").length, 2);
  }
  assert.deepEqual(stratifiedFolds(strata, { k: 5, seed: 1 }), folds);
  assert.notDeepEqual(stratifiedFolds(strata, { k: 5, seed: 2 }), folds);
});

Deno.test("shiftToHalf() moves the chosen threshold to a score of 0.5", () => {
  const { rows, labels } = blobs(40, 3, 1);
  const { head } = fitLogistic(rows, labels, { l2: 0.1 });
  const raw = headScore(head, rows[0]);
  assert.ok(Math.abs(headScore(shiftToHalf(head, raw), rows[0]) - 0.5) < 1e-12);
});

Deno.test("crossValidate() scores every photo held out, with the chosen operating point", () => {
  const { rows, labels } = blobs(120, 4, 11);
  const data = {
    views: rows.map((r) => [r]),
    labels,
    strata: labels.map(String),
    classScores: labels.map(() => 0),
    // All food photos but one hot dog COCO sees no food in: the gate hands it to the class.
    foodScores: labels.map((_, i) => (i === 0 ? 0 : 0.5)),
  };
  const cv = crossValidate(data, { outerFolds: 4, folds: 3, targetSpecificity: 0.9 });
  assert.equal(cv.scores[0].length, 120);
  assert.ok(cv.scores[0].every((s) => s >= 0 && s < 1));
  assert.equal(cv.folds.length, 4);
  const scored = cv.scores[0].map((score, i) => ({ score, hotdog: labels[i] }));
  // Blobs 3 standard deviations apart: held out, still well separated.
  assert.ok(rocAuc(scored) > 0.9, String(rocAuc(scored)));
  const c = confusion(scored, 0.5);
  assert.ok(c.specificity >= 0.8, `specificity ${c.specificity} at the shifted 0.5`);
  assert.deepEqual(crossValidate(data, { outerFolds: 4, folds: 3, targetSpecificity: 0.9 }), cv);
  assert.equal(cv.scores[0][0], 0, "the photo without food gets COCO's class score");
  const trained = trainHead(data, { folds: 3 });
  assert.equal(trained.aucByL2.length, 3);
  // With 60 hot dogs, 1% is under one photo: the floor lets even the one without food through.
  assert.equal(trained.gate.foodFloor, 0);
});

Deno.test("foodFloor() is the food evidence 99% of the hot dogs reach", () => {
  const n = 200;
  const data = {
    views: [],
    labels: [...Array(n)].map((_, i) => i % 2 === 0),
    strata: [],
    classScores: [],
    // Hot dogs get 0.01, 0.02, ... 1.00; the others 0 (they do not count).
    foodScores: [...Array(n)].map((_, i) => (i % 2 === 0 ? (i / 2 + 1) / 100 : 0)),
  };
  // 100 hot dogs: the floor is the second lowest, so exactly one (1%) falls below it.
  assert.equal(foodFloor(data), 0.02);
});

Deno.test("trainHead() adds a fused head and a band when a second opinion helps", () => {
  // The detector's view sees the classes 1.2 sd apart; the classifier's vector sees them again
  // independently, so the fused head separates better and the unsure middle goes to it.
  const n = 240;
  const random = seededRandom(21);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const labels = [...Array(n)].map((_, i) => i % 2 === 0);
  const noisy = (hotdog: boolean) =>
    Float64Array.from({ length: 3 }, (_, j) => gauss() + (j === 0 ? (hotdog ? 0.6 : -0.6) : 0));
  const data = {
    views: labels.map((l) => [noisy(l)]),
    labels,
    strata: labels.map(String),
    classScores: labels.map(() => 0),
    foodScores: labels.map(() => 0.5),
    classifier: labels.map(noisy),
  };
  const cv = crossValidate(data, { outerFolds: 4, folds: 3, targetSpecificity: 0.9 });
  const auc = (s: number[]) => rocAuc(s.map((score, i) => ({ score, hotdog: data.labels[i] })));
  assert.ok(auc(cv.modes.always) > auc(cv.modes.never) + 0.02, "the fused head ranks better");
  assert.ok(cv.asked.some(Boolean) && !cv.asked.every(Boolean), "the band is a middle band");
  assert.ok(cv.folds.every((f) => f.second && f.second.band.low < 0.5 && f.second.band.high > 0.5));
  const trained = trainHead(data, { folds: 3 });
  assert.equal(trained.second!.head.weights.length, 6);
  assert.ok(trained.second!.bandShare > 0 && trained.second!.bandShare < 1);
  // Without classifier vectors: no second opinion, as before.
  assert.equal(trainHead({ ...data, classifier: undefined }, { folds: 3 }).second, null);
});
