/** Builds hostile and unusual JPEGs for the probe and decoder tests by editing real bytes. */

import encode from "@jsquash/jpeg/encode.js";

/** Fetched by the asset step; read relative to the repo root, the cwd of `deno test`. */
export const BUS = "tests/data/images/bus.jpg";
export const FOOD = "tests/data/hotdog";

export const bus = (): Uint8Array => Deno.readFileSync(BUS);

/** One marker segment before the first scan. */
export interface Segment {
  marker: number;
  /** Offset of the 0xFF that starts the marker. */
  offset: number;
  /** Offset just past the segment. */
  end: number;
}

/** The segments of a well-formed JPEG from SOI up to and including the first SOS header. */
export function segments(bytes: Uint8Array): Segment[] {
  const out: Segment[] = [{ marker: 0xd8, offset: 0, end: 2 }];
  for (let pos = 2; pos < bytes.length;) {
    const marker = bytes[pos + 1];
    const end = pos + 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
    out.push({ marker, offset: pos, end });
    if (marker === 0xda) return out;
    pos = end;
  }
  throw new Error("Cannot list JPEG segments: no SOS marker");
}

export function find(bytes: Uint8Array, marker: number): Segment {
  const seg = segments(bytes).find((s) => s.marker === marker);
  if (!seg) throw new Error(`Cannot find marker 0x${marker.toString(16)}`);
  return seg;
}

const sof = (bytes: Uint8Array): Segment =>
  segments(bytes).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2)!;

/** A copy with the SOF's declared size rewritten. */
export function withSize(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  const at = sof(out).offset + 5;
  out.set([height >> 8, height & 0xff, width >> 8, width & 0xff], at);
  return out;
}

/** A copy with the SOF marker code changed (e.g. 0xC9 for arithmetic coding). */
export function withSofMarker(bytes: Uint8Array, code: number): Uint8Array {
  const out = bytes.slice();
  out[sof(out).offset + 1] = code;
  return out;
}

/** A copy with one byte of the SOF segment body changed (0 = precision). */
export function withSofByte(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const out = bytes.slice();
  out[sof(out).offset + 4 + index] = value;
  return out;
}

/** A copy whose SOF declares `count` components, each sampled 1x1 with quant table 0. */
export function withComponents(bytes: Uint8Array, count: number): Uint8Array {
  const s = sof(bytes);
  const body = [
    8,
    bytes[s.offset + 5],
    bytes[s.offset + 6],
    bytes[s.offset + 7],
    bytes[s.offset + 8],
  ];
  const comps = Array.from({ length: count }, (_, i) => [i + 1, 0x11, 0]).flat();
  const length = 2 + body.length + 1 + comps.length;
  const seg = [0xff, bytes[s.offset + 1], length >> 8, length & 0xff, ...body, count, ...comps];
  return concat(bytes.subarray(0, s.offset), new Uint8Array(seg), bytes.subarray(s.end));
}

/** A copy with a segment inserted right after SOI. */
export function afterSoi(bytes: Uint8Array, segment: Uint8Array): Uint8Array {
  return concat(bytes.subarray(0, 2), segment, bytes.subarray(2));
}

/** A copy without the given segment. */
export function without(bytes: Uint8Array, seg: Segment): Uint8Array {
  return concat(bytes.subarray(0, seg.offset), bytes.subarray(seg.end));
}

/** Wraps a body in a marker segment with its length field. */
export function segment(marker: number, body: ArrayLike<number>): Uint8Array {
  const length = body.length + 2;
  return new Uint8Array([0xff, marker, length >> 8, length & 0xff, ...Array.from(body)]);
}

/**
 * An APP1 EXIF segment whose IFD0 holds a Make tag (so the reader must skip an entry) and then
 * Orientation. `edit` may break the TIFF bytes (offsets relative to the TIFF header).
 */
export function exif(
  orientation: number,
  options: { little?: boolean; type?: number; edit?: (tiff: Uint8Array, view: DataView) => void } =
    {},
): Uint8Array {
  const little = options.little ?? true;
  const tiff = new Uint8Array(8 + 2 + 2 * 12 + 4 + 6);
  const view = new DataView(tiff.buffer);
  tiff.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, 42, little);
  view.setUint32(4, 8, little);
  view.setUint16(8, 2, little);
  // Make: ASCII, 6 bytes, stored after the IFD.
  view.setUint16(10, 0x010f, little);
  view.setUint16(12, 2, little);
  view.setUint32(14, 6, little);
  view.setUint32(18, 8 + 2 + 24 + 4, little);
  // Orientation: SHORT, 1 value, left-justified in the 4-byte field.
  view.setUint16(22, 0x0112, little);
  view.setUint16(24, options.type ?? 3, little);
  view.setUint32(26, 1, little);
  if ((options.type ?? 3) === 4) view.setUint32(30, orientation, little);
  else view.setUint16(30, orientation, little);
  view.setUint32(34, 0, little);
  tiff.set([0x43, 0x61, 0x6e, 0x6f, 0x6e, 0], 38);
  options.edit?.(tiff, view);
  return segment(0xe1, [...new TextEncoder().encode("Exif\0\0"), ...tiff]);
}

/** An encoded synthetic JPEG: a gradient with hard edges. Baseline unless told otherwise. */
export async function encoded(
  width: number,
  height: number,
  options: {
    progressive?: boolean;
    arithmetic?: boolean;
    grey?: boolean;
    quality?: number;
    /** A grey ramp: flat colour, so its chroma scans are long EOB runs of a few bytes. */
    smooth?: boolean;
  } = {},
): Promise<Uint8Array> {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (options.smooth) {
        const v = ((x + y) * 255) / (width + height);
        data.set([v, v, v, 255], i);
      } else {
        data.set([(x * 255) / width, (y * 255) / height, (x ^ y) & 0x80 ? 200 : 40, 255], i);
      }
    }
  }
  const image = { width, height, data, colorSpace: "srgb" } as unknown as ImageData;
  return new Uint8Array(
    await encode(image, {
      quality: options.quality ?? 90,
      // mozjpeg's defaults are progressive and Huffman-optimised; tests want to choose.
      progressive: options.progressive ?? false,
      arithmetic: options.arithmetic ?? false,
      color_space: options.grey ? 1 : 3,
    }),
  );
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every JPEG under a folder, recursively, sorted for stable output. */
export function jpegsUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.isFile && /\.jpe?g$/i.test(e.name)) out.push(path);
    }
  };
  walk(root);
  return out.sort();
}

/** One scan header: component ids, spectral selection, successive approximation. */
export interface ScanSpec {
  ids: number[];
  ss: number;
  se: number;
  ah?: number;
  al?: number;
}

/**
 * A copy whose scans are replaced by these headers, each followed by a few bytes standing in
 * for entropy-coded data (with a stuffed 0xFF and an RST marker in it), then EOI: for the
 * probe, which walks scans but never decodes them.
 */
export function withScript(bytes: Uint8Array, script: readonly ScanSpec[]): Uint8Array {
  const first = find(bytes, 0xda);
  const scans = script.map((s) =>
    concat(
      segment(0xda, [
        s.ids.length,
        ...s.ids.flatMap((id) => [id, 0x00]),
        s.ss,
        s.se,
        ((s.ah ?? 0) << 4) | (s.al ?? 0),
      ]),
      new Uint8Array([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]),
    )
  );
  return concat(bytes.subarray(0, first.offset), ...scans, new Uint8Array([0xff, 0xd9]));
}

/** libjpeg's default progression for YCbCr (jcparam.c jpeg_simple_progression): 10 scans. */
export const SIMPLE_PROGRESSION: readonly ScanSpec[] = [
  { ids: [1, 2, 3], ss: 0, se: 0, ah: 0, al: 1 },
  { ids: [1], ss: 1, se: 5, ah: 0, al: 2 },
  { ids: [3], ss: 1, se: 63, ah: 0, al: 1 },
  { ids: [2], ss: 1, se: 63, ah: 0, al: 1 },
  { ids: [1], ss: 6, se: 63, ah: 0, al: 2 },
  { ids: [1], ss: 1, se: 63, ah: 2, al: 1 },
  { ids: [1, 2, 3], ss: 0, se: 0, ah: 1, al: 0 },
  { ids: [3], ss: 1, se: 63, ah: 1, al: 0 },
  { ids: [2], ss: 1, se: 63, ah: 1, al: 0 },
  { ids: [1], ss: 1, se: 63, ah: 1, al: 0 },
];

/**
 * A scan bomb as an attacker builds one: a real progressive JPEG with its last scan (header
 * and entropy-coded data) repeated `times` more times before EOI. libjpeg decodes every copy,
 * so the file stays small while the decode time grows with `times`.
 */
export function scanBomb(progressive: Uint8Array, times: number): Uint8Array {
  const eoi = progressive.length - 2;
  let last = eoi;
  // FF DA cannot occur inside entropy-coded data (0xFF is stuffed), so this is the last SOS.
  while (!(progressive[last] === 0xff && progressive[last + 1] === 0xda)) last--;
  const scan = progressive.subarray(last, eoi);
  const out = new Uint8Array(progressive.length + times * scan.length);
  out.set(progressive.subarray(0, eoi));
  for (let i = 0, at = eoi; i < times; i++, at += scan.length) out.set(scan, at);
  out.set([0xff, 0xd9], out.length - 2);
  return out;
}
