/** Rewrites any YOLOv5 ONNX export into a float32 graph with a free input size, cut at the head. */
import {
  DataType,
  decodeModelOr,
  encodeModel,
  intAttr,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  setIntAttr,
  tensorFloats,
  toFloat32,
} from "./_onnx.ts";
import { parseClassNames } from "./class_names.ts";
import { AppError } from "./errors.ts";

/** One Detect-head output: raw logits laid out [batch, anchors * (5 + classes), ny, nx]. */
export interface HeadOutput {
  name: string;
  /** Anchor sizes in input pixels, [w, h] per anchor; null when the export did not carry them. */
  anchors: [number, number][] | null;
}

export interface PreparedModel {
  /** The rewritten ONNX graph, ready for an inference session. */
  bytes: Uint8Array;
  inputName: string;
  heads: HeadOutput[];
  /** Names of extra outputs requested through `features` (pooled activations), in order. */
  featureOutputs: string[];
  classNames: string[];
  /** Input element type of the original export. */
  sourceInputType: "float32" | "float16";
  /** Largest stride the export declares (from metadata, default 32). */
  maxStride: number;
}

/** The graph as a tap search reads it: before any rewriting, with its Detect-head convs found. */
export interface GraphView {
  readonly graph: OnnxGraph;
  /** The node that produces each tensor. */
  readonly producers: ReadonlyMap<string, OnnxNode>;
  /** The nodes that read each tensor. */
  readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>;
  /** The Detect-head convolutions, in graph order. */
  readonly heads: readonly OnnxNode[];
}

/**
 * Finds tensors to expose by their place in the graph, so any export works whatever its tensor
 * names (the verdict's: `verdict/taps.ts`). An Error it throws says what is missing.
 */
export type TapSearch = (view: GraphView) => string[];

/**
 * How a feature map is reduced to one value per channel; `map`: not in the graph, the map itself
 * is the output (the verdict pools it over the picture's cells, leaving the padding out).
 */
export type Pooling = "avg" | "max" | "map";

export interface PrepareOptions {
  /**
   * Tensors to expose as pooled extra outputs: tensor names as in the export (e.g. a Conv's
   * activation output), or searches that find them by structure.
   */
  features?: readonly (string | TapSearch)[];
  /** Pooling applied to each feature tensor, one output per pooling (default ["avg"]). */
  pooling?: readonly Pooling[];
}

/** YOLOv5's default P3/P4/P5 anchors, used when an export carries no anchor constants. */
export const DEFAULT_ANCHORS: Record<number, [number, number][]> = {
  8: [[10, 13], [16, 30], [33, 23]],
  16: [[30, 61], [62, 45], [59, 119]],
  32: [[116, 90], [156, 198], [373, 326]],
};

const fail = (message: string, cause?: unknown) =>
  new AppError("model_invalid", `Cannot prepare model: ${message}`, { cause });

/** Rewrites the export; throws AppError `model_invalid` naming what is wrong with it. */
export function prepareModel(bytes: Uint8Array, options: PrepareOptions = {}): PreparedModel {
  const model = decodeModelOr(bytes, fail);
  const g = model.graph;
  const classNames = readClassNames(model.metadata.get("names"), g);
  const numOutputs = classNames.length + 5;

  const input = checkInput(g);
  const sourceInputType = input.elemType === DataType.FLOAT16 ? "float16" : "float32";

  const producers = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producers.set(o, n);
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (!consumers.has(i)) consumers.set(i, []);
      consumers.get(i)!.push(n);
    }
  }
  const initializers = new Map(g.initializers.map((t) => [t.name, t]));
  const constantOf = (name: string): OnnxTensor | undefined => {
    const init = initializers.get(name);
    if (init) return init;
    const p = producers.get(name);
    if (p?.opType === "Constant") return p.attributes.find((a) => a.name === "value")?.tensor;
    return undefined;
  };

  // The head convolutions: 1x1 Convs whose output channels are anchors * (5 + classes).
  const heads = g.nodes.filter((n) => {
    if (n.opType !== "Conv") return false;
    const w = initializers.get(n.inputs[1]);
    return w !== undefined && w.dims.length === 4 && w.dims[0] % numOutputs === 0 &&
      w.dims[2] === 1 && w.dims[3] === 1;
  });
  if (heads.length === 0) {
    throw fail(`no Detect-head convolution with a multiple of ${numOutputs} output channels`);
  }
  const numAnchors = initializers.get(heads[0].inputs[1])!.dims[0] / numOutputs;

  const headOutputs: HeadOutput[] = heads.map((conv) => ({
    name: conv.outputs[0],
    anchors: findAnchors(conv.outputs[0], numAnchors, consumers, constantOf),
  }));

  const featureOutputs: string[] = [];
  const extraNodes: OnnxNode[] = [];
  const view: GraphView = { graph: g, producers, consumers, heads };
  const featureTensors = (options.features ?? []).flatMap((f) => {
    if (typeof f === "string") return [f];
    try {
      return f(view);
    } catch (err) {
      throw fail((err as Error).message, err);
    }
  });
  for (const name of featureTensors) {
    if (!producers.has(name)) throw fail(`no tensor named ${JSON.stringify(name)} for features`);
    for (const pool of options.pooling ?? ["avg"]) {
      if (pool === "map") {
        featureOutputs.push(name);
        continue;
      }
      const out = `${name}__${pool}pool`;
      extraNodes.push({
        inputs: [name],
        outputs: [out],
        name: `${name}__${pool}pool`,
        opType: pool === "max" ? "GlobalMaxPool" : "GlobalAveragePool",
        attributes: [],
        rest: [],
      });
      featureOutputs.push(out);
    }
  }

  g.nodes.push(...extraNodes);
  const wanted = [...headOutputs.map((h) => h.name), ...featureOutputs];
  pruneTo(g, wanted);
  convertToFloat32(g);

  input.elemType = DataType.FLOAT;
  input.dims = ["batch", 3, "height", "width"];
  g.outputs = wanted.map((name, i) => ({
    name,
    elemType: DataType.FLOAT,
    dims: i < headOutputs.length
      ? ["batch", numAnchors * numOutputs, `ny${i}`, `nx${i}`]
      : options.pooling?.includes("map")
      ? ["batch", `c${i}`, `h${i}`, `w${i}`]
      : ["batch", "channels" + i, 1, 1],
  }));

  return {
    bytes: encodeModel(model),
    inputName: input.name,
    heads: headOutputs,
    featureOutputs,
    classNames,
    sourceInputType,
    maxStride: Number(model.metadata.get("stride") ?? 32) || 32,
  };
}

function readClassNames(names: string | undefined, g: OnnxGraph): string[] {
  if (names !== undefined) {
    try {
      return parseClassNames(names);
    } catch (err) {
      throw fail(`metadata "names" is unreadable: ${(err as Error).message}`, err);
    }
  }
  // No metadata: fall back to numbered classes from the output width (5 + classes).
  const last = g.outputs[0]?.dims.at(-1);
  if (typeof last === "number" && last > 5) {
    return Array.from({ length: last - 5 }, (_, i) => `class${i}`);
  }
  throw fail(`no "names" metadata and no [.., 5 + classes] output to infer the class count`);
}

function checkInput(g: OnnxGraph) {
  const initNames = new Set(g.initializers.map((t) => t.name));
  const inputs = g.inputs.filter((i) => !initNames.has(i.name));
  if (inputs.length !== 1) {
    throw fail(`expected one image input, found ${inputs.length}`);
  }
  const input = inputs[0];
  if (input.elemType !== DataType.FLOAT && input.elemType !== DataType.FLOAT16) {
    throw fail(`input ${input.name} has element type ${input.elemType}, not float32 or float16`);
  }
  const [b, c] = input.dims;
  if (
    input.dims.length !== 4 || (typeof c === "number" && c !== 3) ||
    (b !== 1 && typeof b === "number")
  ) {
    throw fail(`input ${input.name} has shape [${input.dims.join(",")}], expected [1,3,H,W]`);
  }
  // Drop initializers listed as inputs (old exporters): they are weights, not inputs.
  g.inputs = [input];
  return input;
}

/**
 * Finds the anchor sizes downstream of one head conv. Exports multiply the decoded wh by an
 * `anchor_grid` constant shaped [1, na, ny|1, nx|1, 2] whose values repeat across the grid;
 * the `grid` constant has the same shape but varies, which tells them apart.
 */
function findAnchors(
  start: string,
  numAnchors: number,
  consumers: Map<string, OnnxNode[]>,
  constantOf: (name: string) => OnnxTensor | undefined,
): [number, number][] | null {
  const seen = new Set<OnnxNode>();
  const queue = [...(consumers.get(start) ?? [])];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (seen.has(n) || seen.size > 64) continue;
    seen.add(n);
    if (n.opType === "Mul") {
      for (const input of n.inputs) {
        const t = constantOf(input);
        if (!t || t.dims.length < 3 || t.dims.at(-1) !== 2) continue;
        if (
          t.dims[1] !== numAnchors ||
          (t.dataType !== DataType.FLOAT && t.dataType !== DataType.FLOAT16)
        ) continue;
        const anchors = constantAnchors(tensorFloats(t), numAnchors);
        if (anchors) return anchors;
      }
    }
    for (const o of n.outputs) queue.push(...(consumers.get(o) ?? []));
  }
  return null;
}

function constantAnchors(values: Float32Array, numAnchors: number): [number, number][] | null {
  const perAnchor = values.length / numAnchors;
  const out: [number, number][] = [];
  for (let a = 0; a < numAnchors; a++) {
    const w = values[a * perAnchor];
    const h = values[a * perAnchor + 1];
    for (let i = 0; i < perAnchor; i += 2) {
      if (values[a * perAnchor + i] !== w || values[a * perAnchor + i + 1] !== h) return null;
    }
    if (!(w > 0 && h > 0)) return null;
    out.push([w, h]);
  }
  return out;
}

/** Keeps only the nodes and initializers the wanted outputs depend on, in their order. */
function pruneTo(g: OnnxGraph, wanted: string[]): void {
  const producers = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producers.set(o, n);
  const needed = new Set<OnnxNode>();
  const stack = [...wanted];
  const usedNames = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (usedNames.has(name)) continue;
    usedNames.add(name);
    const p = producers.get(name);
    if (p && !needed.has(p)) {
      needed.add(p);
      stack.push(...p.inputs.filter((i) => i !== ""));
    }
  }
  g.nodes = g.nodes.filter((n) => needed.has(n));
  g.initializers = g.initializers.filter((t) => usedNames.has(t.name));
}

/** Makes every float16 tensor, Cast and declared type float32: WASM kernels are float32. */
function convertToFloat32(g: OnnxGraph): void {
  g.initializers = g.initializers.map(toFloat32);
  for (const n of g.nodes) {
    for (const a of n.attributes) if (a.tensor) a.tensor = toFloat32(a.tensor);
    if (n.opType === "Cast" && intAttr(n, "to", 0) === DataType.FLOAT16) {
      setIntAttr(n, "to", DataType.FLOAT);
    }
  }
  removeIdentityCasts(g);
}

/** After conversion, Cast-to-float nodes fed by float tensors are no-ops: bypass them. */
function removeIdentityCasts(g: OnnxGraph): void {
  const outputs = new Set(g.outputs.map((o) => o.name));
  const floatInputs = new Set(g.inputs.map((i) => i.name));
  const producers = new Map<string, OnnxNode>();
  for (const n of g.nodes) for (const o of n.outputs) producers.set(o, n);
  const rename = new Map<string, string>();
  const removed = new Set<OnnxNode>();
  for (const n of g.nodes) {
    const src = n.inputs[0];
    const srcIsFloat = floatInputs.has(src) || isFloatProducer(producers.get(src));
    if (
      n.opType === "Cast" && intAttr(n, "to", 0) === DataType.FLOAT && srcIsFloat &&
      !outputs.has(n.outputs[0])
    ) {
      rename.set(n.outputs[0], src);
      removed.add(n);
    }
  }
  // Exporters append casts after their consumers, so resolve names once all are known.
  const resolve = (name: string): string => {
    let r = name;
    while (rename.has(r)) r = rename.get(r)!;
    return r;
  };
  g.nodes = g.nodes.filter((n) => !removed.has(n));
  for (const n of g.nodes) n.inputs = n.inputs.map(resolve);
}

// Ops in a YOLOv5 backbone/neck that produce float tensors from float inputs.
const FLOAT_OPS = new Set([
  "Conv",
  "Sigmoid",
  "Mul",
  "Add",
  "Concat",
  "MaxPool",
  "Resize",
  "Cast",
  "GlobalAveragePool",
]);
function isFloatProducer(n: OnnxNode | undefined): boolean {
  if (!n) return false;
  if (n.opType === "Cast") return intAttr(n, "to", 0) === DataType.FLOAT;
  return FLOAT_OPS.has(n.opType);
}
