/** The verdict's feature taps: found by structure, and what prepareModel() makes of a miss. */
import assert from "node:assert/strict";
import type { OnnxNode } from "../../../inference/_onnx.ts";
import { AppError } from "../../../inference/errors.ts";
import { type GraphView, prepareModel } from "../../../inference/model_prepare.ts";
import { featureTap } from "../../../inference/verdict/taps.ts";

const node = (opType: string, inputs: string[], outputs: string[]): OnnxNode => ({
  opType,
  inputs,
  outputs,
  name: outputs[0],
  attributes: [],
  rest: [],
});

/** A graph view over hand-built nodes, indexed as prepareModel() indexes a real one. */
function viewOf(nodes: OnnxNode[], heads: OnnxNode[] = []): GraphView {
  const producers = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    for (const o of n.outputs) producers.set(o, n);
    for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  return {
    graph: { nodes, initializers: [], inputs: [], outputs: [], rest: [] },
    producers,
    consumers,
    heads,
  };
}

Deno.test("featureTap() finds the neck as the Detect-head convs' inputs", () => {
  const heads = [node("Conv", ["p3", "w3"], ["h3"]), node("Conv", ["p4", "w4"], ["h4"])];
  assert.deepEqual(featureTap("neck")(viewOf(heads, heads)), ["p3", "p4"]);
});

Deno.test("featureTap() finds the SPPF block's activated output", () => {
  const nodes = [
    node("MaxPool", ["y"], ["m1"]),
    node("MaxPool", ["m1"], ["m2"]),
    node("MaxPool", ["m2"], ["m3"]),
    node("Concat", ["y", "m1", "m2", "m3"], ["cat"]),
    node("Conv", ["cat", "w"], ["cv2"]),
    node("Sigmoid", ["cv2"], ["sig"]),
    node("Mul", ["cv2", "sig"], ["act"]),
  ];
  assert.deepEqual(featureTap("sppf")(viewOf(nodes)), ["act"]);
});

Deno.test("featureTap() says which block a graph lacks", async (t) => {
  await t.step("sppf", () => {
    assert.throws(() => featureTap("sppf")(viewOf([])), /no SPPF block/);
  });
  await t.step("backbone", () => {
    assert.throws(() => featureTap("backbone")(viewOf([])), /no SPPF block/);
  });
});

Deno.test("prepareModel() reports a search that finds nothing as model_invalid", async () => {
  const bytes = await Deno.readFile("models/yolov5n.onnx");
  const missing = new Error("no widget for features");
  assert.throws(
    () =>
      prepareModel(bytes, {
        features: [() => {
          throw missing;
        }],
      }),
    (err: unknown) =>
      err instanceof AppError && err.code === "model_invalid" &&
      err.message === "Cannot prepare model: no widget for features" && err.cause === missing,
  );
});
