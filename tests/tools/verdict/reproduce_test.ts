import assert from "node:assert/strict";
import { DEFAULTS } from "../../../config.ts";
import { round6 } from "../../../tools/verdict/build.ts";
import { extractFeatures } from "../../../tools/verdict/extract.ts";
import { DEFAULT_FEATURES } from "../../../inference/verdict/features.ts";
import { loadVerdictModel } from "../../../inference/verdict/model.ts";
import { listLabelledPhotos } from "../../../tools/verdict/photos.ts";
import { shiftToHalf, trainHead } from "../../../tools/verdict/train.ts";

// The full `deno task train-verdict --check` also recomputes the held-out metrics (minutes
// more); this checks what serves: both heads, the gate, the operating points and the band.
Deno.test("The committed head is what training on the mirror's photos gives", async () => {
  const committed = (await loadVerdictModel("models/verdict.json"))!;
  const photos = await listLabelledPhotos(
    committed.provenance.data
      ? (committed.provenance.data as { dirs: string[] }).dirs
      : ["tests/data/hotdog"],
  );
  const runs = await extractFeatures(photos, {
    model: await Deno.readFile(DEFAULTS.MODEL_PATH),
    classifier: committed.secondOpinion ? await Deno.readFile(DEFAULTS.CLASSIFIER_PATH) : undefined,
    settings: {
      ...DEFAULTS,
      INPUT_SIZE: { width: committed.detector.inputWidth, height: committed.detector.inputHeight },
    },
    features: DEFAULT_FEATURES,
    cacheDir: "tests/output/verdict-cache",
  });
  const trained = trainHead({
    views: runs.map((r) => [r.features]),
    labels: runs.map((r) => r.photo.hotdog),
    strata: runs.map((r) => `${r.photo.set}/${r.photo.hotdog}`),
    classScores: runs.map((r) => r.classScore),
    foodScores: runs.map((r) => r.foodScore),
    ...(committed.secondOpinion ? { classifier: runs.map((r) => r.classifier!) } : {}),
  });
  const h = trained.head;
  assert.deepEqual(
    { mean: h.mean.map(round6), scale: h.scale.map(round6), weights: h.weights.map(round6) },
    { mean: committed.head.mean, scale: committed.head.scale, weights: committed.head.weights },
  );
  assert.equal(round6(h.bias), committed.head.bias);
  assert.equal(round6(trained.gate.foodFloor), committed.gate.foodFloor);
  const so = committed.secondOpinion;
  assert.equal(trained.second !== null, so !== null);
  if (so && trained.second) {
    const correction = (committed.metrics.secondOpinion as { thresholdCorrection: number })
      .thresholdCorrection;
    const f = shiftToHalf(trained.second.head, correction);
    assert.deepEqual(
      { weights: f.weights.map(round6), bias: round6(f.bias) },
      { weights: so.head.weights, bias: so.head.bias },
    );
    assert.deepEqual(
      { low: round6(trained.second.band.low), high: round6(trained.second.band.high) },
      so.band,
    );
  }
});
