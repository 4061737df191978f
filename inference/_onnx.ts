/** Just enough of the ONNX protobuf schema to read and rewrite a YOLOv5 export in memory. */
import { readFields, readPackedVarints, text, type WireField, Writer } from "./_protobuf.ts";

// Field numbers from onnx.proto.
const MODEL = { graph: 7, metadata: 14, opset: 8 } as const;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
const ATTR = { name: 1, i: 3, t: 5, ints: 8, type: 20 } as const;
const TENSOR = { dims: 1, dataType: 2, int32Data: 5, name: 8, rawData: 9, floatData: 4 } as const;

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

export interface OnnxNode {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  /** Attribute messages, decoded lazily. */
  attributes: OnnxAttribute[];
  /** Fields this module does not model (domain, doc string), re-emitted as read. */
  rest: WireField[];
}

export interface OnnxAttribute {
  name: string;
  /** The whole attribute message, as read, unless `tensor` was replaced. */
  fields: WireField[];
  tensor?: OnnxTensor;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Fields other than name/dims/data type/data: re-emitted as read. */
  rest: WireField[];
  /** Little-endian payload, whichever field it arrived in. */
  data: Uint8Array;
  /** Where the payload came from, so untouched tensors are re-emitted unchanged. */
  dataField: number;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** Each dimension is a size or a symbolic name. */
  dims: (number | string)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Fields kept as read (name, doc string); value_info is dropped on purpose. */
  rest: WireField[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  metadata: Map<string, string>;
  opset: number;
  rest: WireField[];
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const fields = readFields(bytes);
  const graphField = fields.find((f) => f.field === MODEL.graph);
  if (!graphField) throw new Error("Cannot read ONNX model: no graph");
  const metadata = new Map<string, string>();
  let opset = 0;
  for (const f of fields) {
    if (f.field === MODEL.metadata) {
      const kv = readFields(f.bytes!);
      const key = kv.find((x) => x.field === 1);
      const value = kv.find((x) => x.field === 2);
      if (key) metadata.set(text(key), value ? text(value) : "");
    } else if (f.field === MODEL.opset) {
      const op = readFields(f.bytes!);
      const domain = op.find((x) => x.field === 1);
      const version = op.find((x) => x.field === 2);
      if ((!domain || text(domain) === "") && version) opset = Number(version.int);
    }
  }
  return {
    graph: decodeGraph(graphField.bytes!),
    metadata,
    opset,
    rest: fields.filter((f) => f.field !== MODEL.graph),
  };
}

/** decodeModel, with a failure reported as `fail` builds it: "not an ONNX model (why)". */
export function decodeModelOr(
  bytes: Uint8Array,
  fail: (message: string, cause: unknown) => Error,
): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (err) {
    throw fail(`not an ONNX model (${err instanceof Error ? err.message : err})`, err);
  }
}

function decodeGraph(bytes: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], initializers: [], inputs: [], outputs: [], rest: [] };
  for (const f of readFields(bytes)) {
    switch (f.field) {
      case GRAPH.node:
        graph.nodes.push(decodeNode(f.bytes!));
        break;
      case GRAPH.initializer:
        graph.initializers.push(decodeTensor(f.bytes!));
        break;
      case GRAPH.input:
        graph.inputs.push(decodeValueInfo(f.bytes!));
        break;
      case GRAPH.output:
        graph.outputs.push(decodeValueInfo(f.bytes!));
        break;
      case GRAPH.valueInfo:
        // Intermediate shapes are static in an export and would contradict a free input size.
        break;
      default:
        graph.rest.push(f);
    }
  }
  return graph;
}

function decodeNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = {
    inputs: [],
    outputs: [],
    name: "",
    opType: "",
    attributes: [],
    rest: [],
  };
  for (const f of readFields(bytes)) {
    if (f.field === NODE.input) node.inputs.push(text(f));
    else if (f.field === NODE.output) node.outputs.push(text(f));
    else if (f.field === NODE.name) node.name = text(f);
    else if (f.field === NODE.opType) node.opType = text(f);
    else if (f.field === NODE.attribute) node.attributes.push(decodeAttribute(f.bytes!));
    else node.rest.push(f);
  }
  return node;
}

function decodeAttribute(bytes: Uint8Array): OnnxAttribute {
  const fields = readFields(bytes);
  const name = fields.find((f) => f.field === ATTR.name);
  const t = fields.find((f) => f.field === ATTR.t);
  return { name: name ? text(name) : "", fields, tensor: t ? decodeTensor(t.bytes!) : undefined };
}

export function decodeTensor(bytes: Uint8Array): OnnxTensor {
  const tensor: OnnxTensor = {
    name: "",
    dims: [],
    dataType: 0,
    rest: [],
    data: new Uint8Array(0),
    dataField: 0,
  };
  const int32Fields: WireField[] = [];
  for (const f of readFields(bytes)) {
    if (f.field === TENSOR.name) tensor.name = text(f);
    else if (f.field === TENSOR.dims) tensor.dims.push(...readPackedVarints(f).map(Number));
    else if (f.field === TENSOR.dataType) tensor.dataType = Number(f.int);
    else if (f.field === TENSOR.rawData) {
      tensor.data = f.bytes!;
      tensor.dataField = TENSOR.rawData;
    } else if (f.field === TENSOR.floatData && f.wire === 2) {
      // Packed little-endian floats are the raw_data layout already.
      tensor.data = f.bytes!;
      tensor.dataField = TENSOR.rawData;
    } else if (f.field === TENSOR.int32Data) {
      int32Fields.push(f);
    } else tensor.rest.push(f);
  }
  if (int32Fields.length > 0 && tensor.dataType !== DataType.FLOAT16) {
    tensor.rest.push(...int32Fields);
  } else if (int32Fields.length > 0) {
    // float16 values may arrive one per int32 (the proto's rule for 16-bit types).
    const int32 = int32Fields.flatMap((f) => readPackedVarints(f).map(Number));
    // Only 16-bit payloads are stored this way in the exports we accept.
    const out = new Uint8Array(int32.length * 2);
    const view = new DataView(out.buffer);
    int32.forEach((v, i) => view.setUint16(i * 2, v, true));
    tensor.data = out;
    tensor.dataField = TENSOR.rawData;
  }
  return tensor;
}

function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const fields = readFields(bytes);
  const info: OnnxValueInfo = { name: "", elemType: 0, dims: [] };
  for (const f of fields) {
    if (f.field === 1) info.name = text(f);
    if (f.field !== 2) continue;
    const tensorType = readFields(f.bytes!).find((x) => x.field === 1);
    if (!tensorType) continue;
    for (const t of readFields(tensorType.bytes!)) {
      if (t.field === 1) info.elemType = Number(t.int);
      if (t.field !== 2) continue;
      for (const d of readFields(t.bytes!)) {
        const dim = readFields(d.bytes!);
        const value = dim.find((x) => x.field === 1);
        const param = dim.find((x) => x.field === 2);
        info.dims.push(value ? Number(value.int) : param ? text(param) : "?");
      }
    }
  }
  return info;
}

/** Integer attribute by name, or `fallback`. */
export function intAttr(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attributes.find((x) => x.name === name);
  const f = a?.fields.find((x) => x.field === ATTR.i);
  return f ? Number(BigInt.asIntN(64, f.int!)) : fallback;
}

/** Replaces (or adds) an integer attribute. */
export function setIntAttr(node: OnnxNode, name: string, value: number): void {
  const fields: WireField[] = [
    { field: ATTR.name, wire: 2, bytes: new TextEncoder().encode(name) },
    { field: ATTR.i, wire: 0, int: BigInt(value) },
    { field: ATTR.type, wire: 0, int: 2n }, // AttributeProto.INT
  ];
  const attr: OnnxAttribute = { name, fields };
  const i = node.attributes.findIndex((x) => x.name === name);
  if (i >= 0) node.attributes[i] = attr;
  else node.attributes.push(attr);
}

export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new Writer();
  for (const f of model.rest) w.raw(f);
  // The weights are copied once, here: the dequantised classifier's 14 MB were copied three
  // times (tensor, graph, model) and the copies stayed in the process's heap after.
  w.message(MODEL.graph, graphWriter(model.graph));
  return w.finish();
}

function graphWriter(g: OnnxGraph): Writer {
  const w = new Writer();
  for (const n of g.nodes) w.bytes(GRAPH.node, encodeNode(n));
  for (const f of g.rest) w.raw(f);
  for (const t of g.initializers) w.message(GRAPH.initializer, tensorWriter(t));
  for (const v of g.inputs) w.bytes(GRAPH.input, encodeValueInfo(v));
  for (const v of g.outputs) w.bytes(GRAPH.output, encodeValueInfo(v));
  return w;
}

function encodeNode(n: OnnxNode): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.string(NODE.input, i);
  for (const o of n.outputs) w.string(NODE.output, o);
  if (n.name) w.string(NODE.name, n.name);
  w.string(NODE.opType, n.opType);
  for (const a of n.attributes) w.bytes(NODE.attribute, encodeAttribute(a));
  for (const f of n.rest) w.raw(f);
  return w.finish();
}

function encodeAttribute(a: OnnxAttribute): Uint8Array {
  const w = new Writer();
  for (const f of a.fields) {
    if (f.field === ATTR.t && a.tensor) w.bytes(ATTR.t, encodeTensor(a.tensor));
    else w.raw(f);
  }
  return w.finish();
}

export function encodeTensor(t: OnnxTensor): Uint8Array {
  return tensorWriter(t).finish();
}

function tensorWriter(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(TENSOR.dims, d);
  w.int(TENSOR.dataType, t.dataType);
  if (t.name) w.string(TENSOR.name, t.name);
  for (const f of t.rest) w.raw(f);
  // onnx.proto is proto2: an empty raw_data would be read as "present and empty".
  if (t.dataField === TENSOR.rawData) w.bytes(TENSOR.rawData, t.data);
  return w;
}

function encodeValueInfo(v: OnnxValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.bytes(1, dim.finish());
  }
  const tensorType = new Writer().int(1, v.elemType).bytes(2, shape.finish()).finish();
  const type = new Writer().bytes(1, tensorType).finish();
  return new Writer().string(1, v.name).bytes(2, type).finish();
}

/** Float32 view of a FLOAT or FLOAT16 tensor's payload. */
export function tensorFloats(t: OnnxTensor): Float32Array {
  if (t.dataType === DataType.FLOAT) {
    const copy = t.data.slice();
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  if (t.dataType === DataType.FLOAT16) {
    const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const out = new Float32Array(t.data.byteLength / 2);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
    return out;
  }
  throw new Error(`Cannot read tensor ${t.name}: data type ${t.dataType} is not a float`);
}

/** IEEE 754 binary16 to number, subnormals and infinities included. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The same tensor with a FLOAT payload; other types are returned as they are. */
export function toFloat32(t: OnnxTensor): OnnxTensor {
  if (t.dataType !== DataType.FLOAT16) return t;
  const f = tensorFloats(t);
  return {
    ...t,
    dataType: DataType.FLOAT,
    data: new Uint8Array(f.buffer),
    dataField: TENSOR.rawData,
  };
}

/**
 * The values of an integer tensor (INT8, UINT8, INT32), from raw_data or int32_data, where
 * the quantiser put its zero points. 8-bit raw data comes back as a view, not a copy.
 */
export function tensorInts(t: OnnxTensor): Int32Array | Int8Array | Uint8Array {
  const intsField = t.rest.filter((f) => f.field === TENSOR.int32Data);
  if (t.data.length === 0 && intsField.length > 0) {
    return Int32Array.from(
      intsField.flatMap((f) => readPackedVarints(f).map((v) => Number(BigInt.asIntN(32, v)))),
    );
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dataType) {
    case DataType.INT8:
      return new Int8Array(t.data.buffer, t.data.byteOffset, t.data.length);
    case DataType.UINT8:
      return t.data;
    case DataType.INT32:
      return Int32Array.from({ length: t.data.length / 4 }, (_, i) => view.getInt32(i * 4, true));
  }
  throw new Error(`Cannot read tensor ${t.name}: data type ${t.dataType} is not an integer`);
}

/** A FLOAT tensor with these values. */
export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTensor {
  return {
    name,
    dims,
    dataType: DataType.FLOAT,
    rest: [],
    data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    dataField: TENSOR.rawData,
  };
}
