/** The settings decide which model files `deno task start` fetches. */
import assert from "node:assert/strict";
import { loadConfig, servedAssetPaths } from "../config.ts";
import { readManifest } from "../models/assets.ts";

Deno.test("start fetches the detector and, unless switched off, the verdict's classifier", async (t) => {
  const manifest = readManifest(await Deno.readTextFile("models/assets.tsv"));
  const listed = new Set(manifest.map((a) => a.path));
  await t.step("defaults: both, and both are assets the manifest pins", () => {
    const paths = servedAssetPaths(loadConfig({}));
    assert.deepEqual(paths, ["models/yolov5n.onnx", "models/mobilenetv2-12-int8.onnx"]);
    for (const p of paths) assert.ok(listed.has(p), `${p} is in models/assets.tsv`);
  });
  await t.step("VERDICT_SECOND_OPINION=never or CLASSIFIER_PATH=none: the detector only", () => {
    for (const env of [{ VERDICT_SECOND_OPINION: "never" }, { CLASSIFIER_PATH: "none" }]) {
      assert.deepEqual(servedAssetPaths(loadConfig(env)), ["models/yolov5n.onnx"]);
    }
  });
});
