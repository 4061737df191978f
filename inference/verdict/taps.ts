/** Where the verdict taps the detector: its feature sets, found by their place in the graph. */
import type { OnnxNode } from "../_onnx.ts";
import type { GraphView, TapSearch } from "../model_prepare.ts";

/**
 * Intermediate tensors found by their place in the graph, so any YOLOv5 export works whatever
 * its tensor names (channels are YOLOv5n's):
 * - `backbone`: the backbone's stage outputs at strides 8/16/32 (64/128/256): the two maps the
 *   neck concatenates with its upsampled ones, then the SPPF block's input;
 * - `sppf`: the SPPF block's output (256);
 * - `neck`: the inputs of the Detect-head convs, P3/P4/P5 (64/128/256).
 */
export type FeatureSet = "backbone" | "sppf" | "neck";

const SEARCHES: Readonly<Record<FeatureSet, TapSearch>> = Object.freeze({
  backbone: findBackbone,
  sppf: (v: GraphView) => [activation(findSppf(v).outputs[0], v.consumers)],
  neck: (v: GraphView) => v.heads.map((h) => h.inputs[0]),
});

/** The search `prepareModel()` runs to find one feature set's tensors. */
export function featureTap(set: FeatureSet): TapSearch {
  const search = SEARCHES[set];
  if (!search) throw new Error(`Cannot tap features: no feature set named ${JSON.stringify(set)}`);
  return search;
}

/** The Conv that ends the SPPF block: fed by a Concat of a tensor and three chained MaxPools. */
function findSppf({ graph, consumers }: GraphView): OnnxNode {
  const maxPoolOutputs = new Set(
    graph.nodes.filter((n) => n.opType === "MaxPool").map((n) => n.outputs[0]),
  );
  const concat = graph.nodes.find((n) =>
    n.opType === "Concat" && n.inputs.filter((i) => maxPoolOutputs.has(i)).length >= 3
  );
  const conv = concat && consumers.get(concat.outputs[0])?.find((n) => n.opType === "Conv");
  if (!conv) {
    throw new Error("no SPPF block (a Concat of three MaxPools feeding a Conv) for features");
  }
  return conv;
}

/**
 * The backbone's stage outputs, finest first: the tensors the neck concatenates with its
 * upsampled (Resize) maps, in reverse graph order, then the SPPF block's input.
 */
function findBackbone(view: GraphView): string[] {
  const { graph, consumers, producers } = view;
  const lateral: string[] = [];
  for (const resize of graph.nodes.filter((n) => n.opType === "Resize")) {
    const concat = consumers.get(resize.outputs[0])?.find((n) => n.opType === "Concat");
    const other = concat?.inputs.find((i) => i !== resize.outputs[0]);
    if (other) lateral.unshift(other);
  }
  // SPPF: x -> cv1 -> [y, pool(y), pool2(y), pool3(y)] -> Concat -> cv2; x is cv1's input.
  const concat = producers.get(findSppf(view).inputs[0]);
  let t = concat?.inputs.find((i) => producers.get(i)?.opType !== "MaxPool");
  // Walk back through cv1's activation (Mul, Sigmoid) to cv1 itself.
  for (let p = t ? producers.get(t) : undefined; p && p.opType !== "Conv"; p = producers.get(t!)) {
    t = p.inputs[0];
  }
  const cv1 = t ? producers.get(t) : undefined;
  if (lateral.length < 2 || cv1?.opType !== "Conv") {
    throw new Error("no backbone stages (two upsample Concats and an SPPF block) for features");
  }
  return [...lateral, cv1.inputs[0]];
}

/** A Conv output's SiLU (the Mul of it and its Sigmoid) when the export has one. */
function activation(convOutput: string, consumers: GraphView["consumers"]): string {
  const act = consumers.get(convOutput)?.find((n) => n.opType === "Mul");
  return act ? act.outputs[0] : convOutput;
}
