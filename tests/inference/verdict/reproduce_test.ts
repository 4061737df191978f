import assert from "node:assert/strict";
import { DEFAULTS } from "../../../config.ts";
import { round6 } from "../../../inference/verdict/build.ts";
import { extractFeatures } from "../../../inference/verdict/extract.ts";
import { DEFAULT_FEATURES } from "../../../inference/verdict/features.ts";
import { loadVerdictModel } from "../../../inference/verdict/model.ts";
import { listLabelledPhotos } from "../../../inference/verdict/photos.ts";
import { trainHead } from "../../../inference/verdict/train.ts";

// The full `deno task train-verdict --check` also recomputes the held-out metrics (a minute
// more); this checks what serves: the head, its gate and its operating point.
Deno.test("The committed head is what training on the mirror's photos gives", async () => {
  const committed = (await loadVerdictModel("models/verdict.json"))!;
  const photos = await listLabelledPhotos(
    committed.provenance.data
      ? (committed.provenance.data as { dirs: string[] }).dirs
      : ["tests/data/hotdog"],
  );
  const runs = await extractFeatures(photos, {
    model: await Deno.readFile(DEFAULTS.MODEL_PATH),
    inputWidth: committed.detector.inputWidth,
    inputHeight: committed.detector.inputHeight,
    features: DEFAULT_FEATURES,
    cacheDir: "tests/output/verdict-cache",
  });
  const trained = trainHead({
    views: runs.map((r) => [r.features]),
    labels: runs.map((r) => r.photo.hotdog),
    strata: runs.map((r) => `${r.photo.set}/${r.photo.hotdog}`),
    classScores: runs.map((r) => r.classScore),
    foodScores: runs.map((r) => r.foodScore),
  });
  const h = trained.head;
  assert.deepEqual(
    { mean: h.mean.map(round6), scale: h.scale.map(round6), weights: h.weights.map(round6) },
    { mean: committed.head.mean, scale: committed.head.scale, weights: committed.head.weights },
  );
  assert.equal(round6(h.bias), committed.head.bias);
  assert.equal(round6(trained.gate.foodFloor), committed.gate.foodFloor);
});
