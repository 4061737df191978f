/** Rewrites an int8 (QOperator) ImageNet classifier into a float32 graph that also outputs its pooled features. */
import {
  DataType,
  decodeModelOr,
  encodeModel,
  floatTensor,
  type OnnxGraph,
  type OnnxNode,
  type OnnxTensor,
  tensorFloats,
  tensorInts,
} from "./_onnx.ts";
import { AppError } from "./errors.ts";

export interface PreparedClassifier {
  /** The rewritten ONNX graph. */
  bytes: Uint8Array;
  inputName: string;
  /** Square input side the classifier was trained at (224 for MobileNetV2). */
  inputSize: number;
  /** [1, classes] logits. */
  logitsOutput: string;
  /** [1, channels, 1, 1]: the global average pool before the classifier layer. */
  pooledOutput: string;
  classes: number;
  channels: number;
}

const fail = (message: string, cause?: unknown) =>
  new AppError("model_invalid", `Cannot prepare classifier: ${message}`, { cause });

/**
 * Dequantises every QLinear* node to its float32 op with dequantised weights and biases (in this
 * onnxruntime-web build int8 kernels are slower than float32 ones), keeps what the quantised
 * graph computes by clipping each op's output to the range its uint8/int8 output could hold (the
 * quantiser folded ReLU6 into those ranges), and exposes the GlobalAveragePool output as a
 * second graph output. A float32 classifier passes through with only the pooled output added.
 */
export function prepareClassifier(bytes: Uint8Array): PreparedClassifier {
  const model = decodeModelOr(bytes, fail);
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const input = g.inputs.find((i) => !inits.has(i.name));
  if (!input || input.dims.length !== 4) throw fail("expected one [N,3,H,W] image input");
  const inputSize = typeof input.dims[2] === "number" ? input.dims[2] : 224;
  if (g.outputs.length !== 1) throw fail(`expected one output, found ${g.outputs.length}`);
  const logitsOutput = g.outputs[0].name;

  dequantise(g, inits);

  const pool = g.nodes.find((n) => n.opType === "GlobalAveragePool");
  if (!pool) throw fail("no GlobalAveragePool before the classifier layer");
  const pooledOutput = pool.outputs[0];
  const classifier = g.nodes.find((n) => n.opType === "MatMul" || n.opType === "Gemm");
  const w = classifier && inits.get(classifier.inputs[1]);
  if (!w || w.dims.length !== 2) throw fail("no MatMul/Gemm classifier layer with weights");
  const transposed = classifier!.opType === "Gemm" &&
    classifier!.attributes.some((a) => a.name === "transB");
  const [channels, classes] = transposed ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];

  input.dims = [1, 3, inputSize, inputSize];
  g.inputs = [input];
  g.outputs = [
    { name: logitsOutput, elemType: DataType.FLOAT, dims: [1, classes] },
    { name: pooledOutput, elemType: DataType.FLOAT, dims: [1, channels, 1, 1] },
  ];
  return {
    bytes: encodeModel(model),
    inputName: input.name,
    inputSize,
    logitsOutput,
    pooledOutput,
    classes,
    channels,
  };
}

/** Rewrites the QOperator nodes in place; float tensors keep their quantised tensors' names. */
function dequantise(g: OnnxGraph, inits: Map<string, OnnxTensor>): void {
  // Quantised activation name -> float name; the graph's float input and output keep theirs.
  const floatName = new Map<string, string>();
  const added: OnnxTensor[] = [];
  const f = (name: string) => floatName.get(name) ?? name;
  const scalar = (name: string) => {
    const t = inits.get(name);
    if (!t) throw fail(`quantisation parameter ${name} is not a constant`);
    return t;
  };
  const scaleOf = (name: string) => tensorFloats(scalar(name));
  const zeroOf = (name: string) => tensorInts(scalar(name));
  /** Dequantised constant: (q - zero) * scale, per output channel along `axis` when vectors. */
  const constant = (q: string, scale: string, zero: string, axis: number): string => {
    const t = scalar(q);
    const values = tensorInts(t);
    const s = scaleOf(scale);
    const z = zeroOf(zero);
    const perAxis = t.dims[axis] ?? 1;
    const inner = t.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = s.length === 1 ? 0 : Math.floor(i / inner) % perAxis;
      out[i] = (values[i] - (z.length === 1 ? z[0] : z[c])) * s[c];
    }
    const name = `${q}__float`;
    added.push(floatTensor(name, [...t.dims], out));
    return name;
  };
  /** Clip bounds: what a tensor quantised with this scale, zero point and type can represent. */
  const range = (scale: string, zero: string): [string, string] => {
    const s = scaleOf(scale)[0];
    const z = zeroOf(zero)[0];
    const signed = scalar(zero).dataType === DataType.INT8;
    const [lo, hi] = signed ? [-128, 127] : [0, 255];
    const name = `${scale}__range`;
    added.push(floatTensor(`${name}_min`, [], Float32Array.of((lo - z) * s)));
    added.push(floatTensor(`${name}_max`, [], Float32Array.of((hi - z) * s)));
    return [`${name}_min`, `${name}_max`];
  };
  const node = (opType: string, inputs: string[], output: string, from?: OnnxNode): OnnxNode => ({
    inputs,
    outputs: [output],
    name: `${output}__${opType}`,
    opType,
    attributes: from?.attributes ?? [],
    rest: [],
  });
  // The bounds stay scalar initialisers so onnxruntime fuses each Conv + Clip into one FusedConv
  // (profiled: as separate Clip ops the same run took 73 ms instead of 53). What is left is the
  // convolutions: 1x1 ~64% at about the GEMM's peak, depthwise ~31% (im2col and a one-row GEMM
  // per channel: this WASM SIMD build has no direct depthwise kernel), every other op < 1 ms in
  // all. Rewrites around them did not pay (depthwise as block-diagonal groups of 2-8 channels:
  // 0-15% slower; "extended" optimisation or no CPU arena: the same). Issue 12.
  const clipped = (op: OnnxNode, out: string, scale: string, zero: string): OnnxNode[] => {
    const raw = `${out}__unclipped`;
    op.outputs = [raw];
    op.name = `${raw}__${op.opType}`;
    return [op, node("Clip", [raw, ...range(scale, zero)], f(out))];
  };
  const isConst = (name: string) => inits.has(name);

  const nodes: OnnxNode[] = [];
  for (const n of g.nodes) {
    const i = n.inputs;
    const out = n.outputs[0];
    switch (n.opType) {
      case "QuantizeLinear":
        // The float tensor itself stands for its quantised copy.
        floatName.set(out, f(i[0]));
        break;
      case "DequantizeLinear":
        if (isConst(i[0])) {
          floatName.set(out, constant(i[0], i[1], i[2] ?? "", Number(0)));
        } else if (g.outputs.some((o) => o.name === out)) {
          nodes.push(node("Identity", [f(i[0])], out));
        } else floatName.set(out, f(i[0]));
        break;
      case "QLinearConv": {
        // x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero, [bias int32 at x_scale * w_scale]
        floatName.set(out, `${out}__f`);
        const w = constant(i[3], i[4], i[5], 0);
        const inputs = [f(i[0]), w];
        if (i[8]) {
          const b = tensorInts(scalar(i[8]));
          const xs = scaleOf(i[1])[0];
          const ws = scaleOf(i[4]);
          const bias = Float32Array.from(b, (v, c) => v * xs * ws[ws.length === 1 ? 0 : c]);
          added.push(floatTensor(`${i[8]}__float`, [b.length], bias));
          inputs.push(`${i[8]}__float`);
        }
        const conv = node("Conv", inputs, out, n);
        nodes.push(...clipped(conv, out, i[6], i[7]));
        break;
      }
      case "QLinearAdd": {
        // a, a_scale, a_zero, b, b_scale, b_zero, c_scale, c_zero
        floatName.set(out, `${out}__f`);
        const a = isConst(i[0]) ? constant(i[0], i[1], i[2], 0) : f(i[0]);
        const b = isConst(i[3]) ? constant(i[3], i[4], i[5], 0) : f(i[3]);
        nodes.push(...clipped(node("Add", [a, b], out), out, i[6], i[7]));
        break;
      }
      case "QLinearMatMul": {
        // a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero; b's scale is per column.
        floatName.set(out, `${out}__f`);
        const b = isConst(i[3]) ? constant(i[3], i[4], i[5], 1) : f(i[3]);
        nodes.push(...clipped(node("MatMul", [f(i[0]), b], out), out, i[6], i[7]));
        break;
      }
      case "QLinearGlobalAveragePool":
        floatName.set(out, `${out}__f`);
        nodes.push(node("GlobalAveragePool", [f(i[0])], `${out}__f`));
        break;
      default:
        if (n.opType.startsWith("QLinear") || n.opType.startsWith("Quant")) {
          throw fail(`no float32 rewrite for ${n.opType} (${n.name})`);
        }
        n.inputs = i.map(f);
        for (const o of n.outputs) if (floatName.has(o)) floatName.delete(o);
        nodes.push(n);
    }
  }
  g.nodes = nodes;
  // Keep only what the float graph reads: the int8 weights, scales and zero points are done with.
  for (const t of added) inits.set(t.name, t);
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  g.initializers = [...inits.values()].filter((t) => used.has(t.name));
}
