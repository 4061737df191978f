import assert from "node:assert/strict";
import { join } from "node:path";
import { evaluate, formatReport, main } from "../../../tools/verdict/eval.ts";
import type { PhotoRun } from "../../../tools/verdict/extract.ts";

const run = (path: string, hotdog: boolean, classScore: number): PhotoRun => ({
  photo: { path, hotdog, set: path.split("/")[0] },
  digest: path.padEnd(64, "0"),
  features: new Float64Array(),
  classifier: null,
  classScore,
  foodScore: classScore,
  top: classScore > 0.25 ? `hot dog ${classScore.toFixed(2)}` : "",
});

Deno.test("evaluate() counts, sweeps and lists the worst misses of COCO's class verdict", () => {
  const runs = [
    run("a/hot1.jpg", true, 0.9),
    run("a/hot2.jpg", true, 0.1),
    run("b/hot3.jpg", true, 0.01),
    run("a/not1.jpg", false, 0.05),
    run("b/not2.jpg", false, 0.6),
  ];
  const r = evaluate(runs, null, { threshold: 0.5, inputSize: { width: 320, height: 320 } });
  assert.equal(r.verdict.source, "class");
  assert.deepEqual(
    [r.summary.all.tp, r.summary.all.fn, r.summary.all.tn, r.summary.all.fp],
    [1, 2, 1, 1],
  );
  assert.equal(r.summary.a.n, 3);
  assert.equal(r.summary.b.n, 2);
  // The class verdict reads 0.25 as 0.5: the sweep's 0.5 row is COCO's 0.25.
  assert.equal(r.sweep.find((s) => s.threshold === 0.5)!.recall, 0.3333);
  assert.deepEqual(r.misses.missedHotdogs.map((m) => m.file), ["b/hot3.jpg", "a/hot2.jpg"]);
  assert.deepEqual(r.misses.falseHotdogs.map((m) => m.file), ["b/not2.jpg"]);
  const text = formatReport(r);
  assert.match(text, /^Verdict: COCO class alone, threshold 0\.5, input 320x320, 5 photos/);
  assert.match(text, /= COCO class score/);
  assert.doesNotMatch(text, /WARNING/);
});

Deno.test("`deno task eval` measures the head on real photos, flagging training ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nothotdog-eval-" });
  try {
    const copy = async (from: string, cls: string) => {
      await Deno.mkdir(join(dir, "mine", cls), { recursive: true });
      await Deno.copyFile(from, join(dir, "mine", cls, from.split("/").pop()!));
    };
    await copy("tests/data/hotdog/seefood-train/hot_dog/930190.jpg", "hot_dog");
    await copy("tests/data/hotdog/truepositive-train/not_hotdog/1001773.jpg", "not_hotdog");
    let out = "";
    const log = console.log;
    console.log = (text: string) => (out += text);
    try {
      assert.equal(await main([dir, "--json"]), 0);
    } finally {
      console.log = log;
    }
    const r = JSON.parse(out);
    assert.equal(r.verdict.source, "head");
    assert.equal(r.photos, 2);
    assert.equal(r.trainingPhotos, 2, "both photos are dev photos the head was trained on");
    assert.equal(r.summary.all.recall, 1);
    assert.equal(r.summary.all.specificity, 1);
    assert.equal(r.summary.mine.n, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
