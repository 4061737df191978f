import assert from "node:assert/strict";
import { AppError } from "../../../inference/errors.ts";
import {
  headForSize,
  loadVerdictModel,
  parseVerdictModel,
} from "../../../inference/verdict/model.ts";

const PATH = "models/verdict.json";

Deno.test("The committed verdict file parses, with its metrics and provenance", async () => {
  const m = (await loadVerdictModel(PATH))!;
  assert.equal(m.head.kind, "logistic");
  assert.equal(m.head.weights.length, m.features.length);
  assert.deepEqual(m.detector.trainedSizes, [{ width: 320, height: 320 }]);
  const data = m.provenance.data as { sets: Record<string, { licence: string }> };
  assert.match(data.sets["truepositive-train"].licence, /AGPL-3\.0/);
  assert.match(String(m.provenance.command), /^deno task train-verdict/);
  assert.ok(m.gate.foodFloor > 0 && m.gate.foodFloor < 0.25);
});

Deno.test("parseVerdictModel() refuses broken files, saying what is wrong", async (t) => {
  const good = JSON.parse(await Deno.readTextFile(PATH));
  const refuses = (json: unknown, pattern: RegExp) =>
    assert.throws(() => parseVerdictModel(json, "x.json"), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "model_invalid");
      assert.match(err.message, /^Cannot load verdict head x\.json: /);
      assert.match(err.message, pattern);
      return true;
    });
  await t.step("another format", () => refuses({ ...good, format: "v0" }, /format/));
  await t.step("a weight short", () =>
    refuses(
      { ...good, head: { ...good.head, weights: good.head.weights.slice(1) } },
      /head.weights has 1231 values, features.length says 1232/,
    ));
  await t.step(
    "a zero scale",
    () =>
      refuses(
        { ...good, head: { ...good.head, scale: [0, ...good.head.scale.slice(1)] } },
        /scale/,
      ),
  );
  await t.step("not JSON at all", async () => {
    const path = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeTextFile(path, "{nope");
      await assert.rejects(() => loadVerdictModel(path), /not JSON/);
    } finally {
      await Deno.remove(path);
    }
  });
  await t.step("a missing file, with the way out", async () => {
    await assert.rejects(() => loadVerdictModel("models/missing.json"), /VERDICT_HEAD=none/);
  });
});

Deno.test("loadVerdictModel() reads `none` as no head; headForSize() wants its size", async () => {
  assert.equal(await loadVerdictModel("none"), null);
  const m = await loadVerdictModel(PATH);
  assert.equal(headForSize(m, { width: 320, height: 320 }), m);
  assert.equal(headForSize(m, { width: 320, height: 256 }), null);
  assert.equal(headForSize(null, { width: 320, height: 320 }), null);
});
