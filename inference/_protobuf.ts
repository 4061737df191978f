/** Minimal protobuf wire-format reader and writer, enough to edit ONNX models in memory. */

/** One field as it appeared on the wire: varints as bigint, fixed32/64 and length-delimited as bytes. */
export interface WireField {
  field: number;
  wire: 0 | 1 | 2 | 5;
  /** Varint value (wire 0). */
  int?: bigint;
  /** Raw payload (wire 1, 2, 5). */
  bytes?: Uint8Array;
}

/** Splits one encoded message into its fields, in wire order. */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new RangeError("Cannot read protobuf: truncated varint");
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new RangeError("Cannot read protobuf: varint too long");
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new RangeError("Cannot read protobuf: field number 0");
    if (wire === 0) {
      out.push({ field, wire, int: varint() });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > buf.length) throw new RangeError("Cannot read protobuf: truncated fixed field");
      out.push({ field, wire, bytes: buf.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) {
        throw new RangeError(`Cannot read protobuf: field ${field} overruns message`);
      }
      out.push({ field, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else {
      throw new RangeError(`Cannot read protobuf: unsupported wire type ${wire}`);
    }
  }
  return out;
}

/** Accumulates encoded fields; `finish()` returns one contiguous buffer. */
export class Writer {
  #chunks: Uint8Array[] = [];
  #scratch: number[] = [];
  #length = 0;

  #flushScratch(): void {
    if (this.#scratch.length === 0) return;
    const chunk = Uint8Array.from(this.#scratch);
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#scratch = [];
  }

  #varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.#scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#scratch.push(Number(v));
  }

  #key(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.#key(field, 0);
    this.#varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#varint(BigInt(value.length));
    this.#flushScratch();
    this.#chunks.push(value);
    this.#length += value.length;
    return this;
  }

  /**
   * A nested message from its own writer, without finishing it: its chunks join this one's, so
   * a model is copied once, by the outermost finish(), not once per level of nesting.
   */
  message(field: number, sub: Writer): this {
    sub.#flushScratch();
    this.#key(field, 2);
    this.#varint(BigInt(sub.#length));
    this.#flushScratch();
    for (const c of sub.#chunks) this.#chunks.push(c);
    this.#length += sub.#length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  fixed(field: number, wire: 1 | 5, value: Uint8Array): this {
    this.#key(field, wire);
    for (const b of value) this.#scratch.push(b);
    return this;
  }

  /** Re-emits a field exactly as it was read. */
  raw(f: WireField): this {
    if (f.wire === 0) return this.int(f.field, f.int!);
    if (f.wire === 2) return this.bytes(f.field, f.bytes!);
    return this.fixed(f.field, f.wire, f.bytes!);
  }

  finish(): Uint8Array {
    this.#flushScratch();
    const out = new Uint8Array(this.#length);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Decodes a repeated int64 field that may be packed (wire 2) or not (wire 0). */
export function readPackedVarints(f: WireField): bigint[] {
  if (f.wire === 0) return [f.int!];
  return readFields(varintStream(f.bytes!)).map((x) => x.int!);
}

// A packed varint run has no keys; prefix each value with a synthetic key so readFields can split it.
function varintStream(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const b of bytes) {
    if (start) out.push(8);
    out.push(b);
    start = (b & 0x80) === 0;
  }
  return Uint8Array.from(out);
}

const decoder = new TextDecoder();
/** UTF-8 text of a length-delimited field. */
export function text(f: WireField): string {
  return decoder.decode(f.bytes!);
}
