/** Builds PNGs and WebPs for the probe and decoder tests: real encodes of a real photo, and hand-made chunks. */

import { deflateSync } from "node:zlib";
import pngEncode from "@jsquash/png/encode.js";
import webpEncode from "@jsquash/webp/encode.js";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";
import { bus, concat } from "./_jpeg_fixtures.ts";

export { concat };

/** The bus photo's pixels, re-encoded as PNG, lossy WebP and lossless WebP. */
export async function busEncodings() {
  const img = await decodeJpeg(bus());
  const pixels = new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height);
  return {
    pixels: img,
    png: new Uint8Array(await pngEncode(pixels)),
    webp: new Uint8Array(await webpEncode(pixels, { quality: 90 })),
    webpLossless: new Uint8Array(await webpEncode(pixels, { lossless: 1 })),
  };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

/** One PNG chunk with its length and CRC. */
export function chunk(type: string, data: Uint8Array | number[] = []): Uint8Array {
  const body = Uint8Array.from([...new TextEncoder().encode(type), ...data]);
  return Uint8Array.from([...be32(data.length), ...body, ...be32(crc32(body))]);
}

export const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, bitDepth: number, colorType: number) {
  return chunk("IHDR", [...be32(width), ...be32(height), bitDepth, colorType, 0, 0, 0]);
}

/**
 * A PNG from raw scanlines (filter byte 0 added here), with any extra chunks before IDAT.
 * `rows` are the packed samples of each row.
 */
export function makePng(
  header: { width: number; height: number; bitDepth: number; colorType: number },
  rows: number[][],
  before: Uint8Array[] = [],
): Uint8Array {
  const raw = Uint8Array.from(rows.flatMap((r) => [0, ...r]));
  return concat(
    SIGNATURE,
    ihdr(header.width, header.height, header.bitDepth, header.colorType),
    ...before,
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND"),
  );
}

/**
 * A real 30000x30000 1-bit PNG: every row zero, so its 112 MB of scanlines deflate to about
 * 110 kB. Decoded, it would be 3.6 GB of RGBA.
 */
export function pngBomb(): Uint8Array {
  const side = 30000;
  const rowBytes = 1 + Math.ceil(side / 8);
  return concat(
    SIGNATURE,
    ihdr(side, side, 1, 0),
    chunk("IDAT", deflateSync(new Uint8Array(rowBytes * side), { level: 9 })),
    chunk("IEND"),
  );
}

/** Inserts PNG chunks right after IHDR (offset 33). */
export function withChunks(png: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  return concat(png.subarray(0, 33), ...chunks, png.subarray(33));
}

const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 255);

/** A RIFF/WEBP file from chunks given as [fourcc, data]. */
export function riff(...chunks: [string, Uint8Array | number[]][]): Uint8Array {
  const body = chunks.flatMap(([name, data]) => [
    ...new TextEncoder().encode(name),
    ...le(data.length, 4),
    ...data,
    ...(data.length & 1 ? [0] : []),
  ]);
  return Uint8Array.from([
    ...new TextEncoder().encode("RIFF"),
    ...le(4 + body.length, 4),
    ...new TextEncoder().encode("WEBP"),
    ...body,
  ]);
}

/** A VP8 key-frame header claiming this size, followed by junk that no decoder should see. */
export function vp8Header(width: number, height: number): number[] {
  return [
    0x10,
    0x02,
    0x00,
    0x9d,
    0x01,
    0x2a,
    ...le(width, 2),
    ...le(height, 2),
    ...new Array(64)
      .fill(0x55),
  ];
}

/** A VP8X chunk's data: flags and canvas size. */
export function vp8x(flags: number, width: number, height: number): number[] {
  return [flags, 0, 0, 0, ...le(width - 1, 3), ...le(height - 1, 3)];
}

/** The image chunk of a simple-format WebP, [fourcc, data]. */
export function imageChunk(webp: Uint8Array): [string, Uint8Array] {
  const size = new DataView(webp.buffer, webp.byteOffset).getUint32(16, true);
  return [String.fromCharCode(...webp.subarray(12, 16)), webp.slice(20, 20 + size)];
}
