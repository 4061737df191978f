/** Reads a JPEG's headers (never its pixels) and refuses what the decoder must not see. */

import { AppError } from "./errors.ts";
import { isOrientation, type Orientation, orientedSize } from "./orientation.ts";
import { DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE } from "./_image_limits.ts";

/** What the headers say about a JPEG that the decoder may safely be given. */
export interface JpegInfo {
  /** Stored size, before EXIF orientation. */
  width: number;
  height: number;
  /** 1 (greyscale) or 3 (YCbCr or RGB). */
  components: 1 | 3;
  /** Bits per sample; always 8 once accepted. */
  precision: number;
  /** SOF0, SOF1 or SOF2: the Huffman-coded processes the decoder supports. */
  process: "baseline" | "extended" | "progressive";
  /** EXIF orientation, 1 when absent or unreadable. */
  orientation: Orientation;
  /** Size as a person sees it: width and height swapped for orientations 5-8. */
  orientedWidth: number;
  orientedHeight: number;
  /** Offset of the first byte after the first SOS header: where entropy-coded data starts. */
  scanOffset: number;
}

/** What {@link probeJpeg} found: the headers, plus what walking every scan to EOI counted. */
export interface JpegProbe extends JpegInfo {
  /** Scans (SOS markers) before EOI: 1-3 for sequential files, 6-10 from common encoders. */
  scans: number;
  /** Decode work as the limits count it: pixels x scans. */
  decodeWork: number;
  /** Offset of the EOI marker that ends the image (anything after it is ignored). */
  eoiOffset: number;
}

export interface ProbeOptions {
  /** Refuse images with more pixels than this (default 16_800_000, imgproxy's 16.8 MP). */
  maxPixels?: number;
  /** Refuse images with a side longer than this (default 8192). */
  maxSide?: number;
  /** Refuse images with more scans than this (default {@link MAX_SCANS}). */
  maxScans?: number;
  /** Refuse images whose pixels x scans is over this (default {@link MAX_DECODE_WORK}). */
  maxDecodeWork?: number;
}

/**
 * Most scans a JPEG may have. Each scan makes the decoder visit every block of its components
 * again, and a progressive file may legally repeat cheap scans (long EOB runs cost a few bits
 * per scan), so a small file can cost minutes of decoding: LJT-01-003 in libjpeg-turbo's "Two
 * Issues with the JPEG Standard" (libjpeg-turbo.org/pmwiki/uploads/About/
 * TwoIssueswiththeJPEGStandard.pdf). libjpeg-turbo leaves the limit to the application:
 * `djpeg -maxscans N` and TurboJPEG's TJPARAM_SCANLIMIT default to no limit, and its own
 * fuzzers set 500; NVIDIA DALI defaults to 500 and nvImageCodec to 256
 * (NVIMGCODEC_MAX_JPEG_SCANS); LibreOffice stops at 100, the report's sample value. Browsers
 * decode progressively in the background and publish no such limit. Real encoders write far
 * fewer: libjpeg's and jpegtran's default progression has 10 scans (6 for greyscale), mozjpeg
 * 7 here, sequential files 1 per component at most. 100 is ten times what they write.
 */
export const MAX_SCANS = 100;

/**
 * Most decode work accepted, as pixels x scans: 16 scans at the 16.8 MP pixel limit (a common
 * progressive file there has 7-10), up to {@link MAX_SCANS} at 2.6 MP and below. This bounds
 * what one accepted image can cost before the decoder starts, since a worker cannot be stopped
 * in the middle of a WASM call (README, "Limits", has the measured worst case).
 */
export const MAX_DECODE_WORK = 16 * DEFAULT_MAX_PIXELS;

const SOF_PROCESS: Record<number, JpegInfo["process"]> = {
  0xc0: "baseline",
  0xc1: "extended",
  0xc2: "progressive",
};

/** Frame types and markers mozjpeg cannot decode, named for the error message. */
const UNSUPPORTED_MARKER: Record<number, string> = {
  0xc3: "lossless (SOF3)",
  0xc5: "differential sequential (SOF5, hierarchical)",
  0xc6: "differential progressive (SOF6, hierarchical)",
  0xc7: "differential lossless (SOF7, hierarchical)",
  0xc9: "arithmetic-coded sequential (SOF9)",
  0xca: "arithmetic-coded progressive (SOF10)",
  0xcb: "arithmetic-coded lossless (SOF11)",
  0xcd: "arithmetic-coded differential sequential (SOF13, hierarchical)",
  0xce: "arithmetic-coded differential progressive (SOF14, hierarchical)",
  0xcf: "arithmetic-coded differential lossless (SOF15, hierarchical)",
  0xde: "hierarchical (DHP)",
  0xdf: "hierarchical (EXP)",
  0xf7: "JPEG-LS (SOF55)",
  0xf8: "JPEG-LS (LSE)",
};

const fail = (message: string): AppError =>
  new AppError("corrupt_jpeg", `Cannot decode JPEG: ${message}`);
const hex = (byte: number): string => `0x${byte.toString(16).toUpperCase().padStart(2, "0")}`;
const markerName = (code: number): string => `0xFF${hex(code).slice(2)}`;

/**
 * Walks every marker from SOI to EOI, bounds-checking every length, and throws an AppError for
 * anything the decoder should not be given: bytes that are not a JPEG, broken structure,
 * unsupported processes or colour models, sizes over the limits, a missing EOI, a scan script
 * that is inconsistent (a band sent twice: the scan bomb's repeated scan) or too long, and
 * more decode work (pixels x scans) than {@link MAX_DECODE_WORK}. Entropy-coded data is only
 * searched for the next marker, never decoded: about 1 ms per MB.
 */
export function probeJpeg(bytes: Uint8Array, options: ProbeOptions = {}): JpegProbe {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const n = bytes.length;
  if (n === 0) throw new AppError("empty_input", "Cannot decode JPEG: input is 0 bytes");
  if (n < 2 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    throw new AppError("not_jpeg", `Cannot decode image: input is ${describe(bytes)}, not a JPEG`);
  }

  let frame: Frame | undefined;
  let orientation: Orientation = 1;
  let sawExif = false;
  let pos = 2;
  for (;;) {
    if (pos >= n) throw fail(`no SOS marker (truncated after ${n} bytes?)`);
    if (bytes[pos] !== 0xff) {
      throw fail(`expected a marker at offset ${pos}, found ${hex(bytes[pos])}`);
    }
    // Any number of 0xFF fill bytes may precede a marker code.
    while (pos < n && bytes[pos] === 0xff) pos++;
    if (pos >= n) throw fail(`no SOS marker (truncated after ${n} bytes?)`);
    const marker = bytes[pos];
    const at = pos - 1;
    pos++;

    // Standalone markers: no length field.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd8) throw fail(`second SOI marker at offset ${at}`);
    if (marker === 0xd9) {
      throw fail(`EOI marker at offset ${at} before any SOS marker: the file has no image data`);
    }
    if (marker === 0x00 || marker < 0xc0) {
      throw fail(`invalid marker ${markerName(marker)} at offset ${at}`);
    }

    const unsupported = UNSUPPORTED_MARKER[marker];
    if (unsupported) {
      throw new AppError("unsupported_jpeg", `Cannot decode JPEG: ${unsupported} is not supported`);
    }
    if (marker >= 0xf0 && marker <= 0xfd) {
      throw new AppError(
        "unsupported_jpeg",
        `Cannot decode JPEG: marker ${markerName(marker)} (a JPGn extension) is not supported`,
      );
    }

    if (pos + 2 > n) throw fail(`truncated inside the ${markerName(marker)} header`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) {
      throw fail(`segment ${markerName(marker)} at offset ${at} has length ${length}`);
    }
    const start = pos + 2;
    const end = pos + length;
    if (end > n) {
      throw fail(
        `segment ${markerName(marker)} at offset ${at} declares ${length} bytes but only ` +
          `${n - pos} remain (truncated?)`,
      );
    }

    const process = SOF_PROCESS[marker];
    if (process) {
      if (frame) throw fail(`second SOF marker at offset ${at}`);
      frame = readFrame(bytes, start, end, process);
      checkSize(frame.width, frame.height, maxPixels, maxSide);
    } else if (marker === 0xda) {
      if (!frame) throw fail(`SOS marker at offset ${at} before any SOF marker`);
      const size = orientedSize(frame.width, frame.height, orientation);
      const scans = walkScans(bytes, frame, at, options);
      const { ids: _ids, ...header } = frame;
      return {
        ...header,
        orientation,
        orientedWidth: size.width,
        orientedHeight: size.height,
        scanOffset: end,
        ...scans,
      };
    } else if (marker === 0xe1 && !sawExif && isExif(bytes, start, end)) {
      // Only the first EXIF block counts, as in every viewer.
      sawExif = true;
      orientation = readExifOrientation(bytes, start + 6, end);
    } else if (marker === 0xee && isAdobeYcck(bytes, start, end)) {
      throw new AppError(
        "unsupported_jpeg",
        "Cannot decode JPEG: YCCK colour (Adobe APP14 transform 2) is not supported",
      );
    }
    // DQT, DHT, DRI, DNL, APPn and COM need no checks here: the decoder validates their contents.
    pos = end;
  }
}

type Frame = Pick<JpegInfo, "width" | "height" | "components" | "precision" | "process"> & {
  /** Component identifiers, in frame order, for matching scan headers. */
  ids: number[];
};

function readFrame(
  bytes: Uint8Array,
  start: number,
  end: number,
  process: JpegInfo["process"],
): Frame {
  if (end - start < 6) throw fail(`SOF segment is ${end - start + 2} bytes, under the minimum 8`);
  const precision = bytes[start];
  const height = (bytes[start + 1] << 8) | bytes[start + 2];
  const width = (bytes[start + 3] << 8) | bytes[start + 4];
  const components = bytes[start + 5];
  if (precision !== 8) {
    throw new AppError(
      "unsupported_jpeg",
      `Cannot decode JPEG: ${precision}-bit precision is not supported (only 8-bit)`,
    );
  }
  if (components !== 1 && components !== 3) {
    const kind = components === 4 ? " (CMYK/YCCK)" : "";
    throw new AppError(
      "unsupported_jpeg",
      `Cannot decode JPEG: ${components} colour components${kind} are not supported (only 1 or 3)`,
    );
  }
  if (end - start !== 6 + 3 * components) {
    throw fail(
      `SOF segment is ${end - start + 2} bytes, but ${components} components need ` +
        `${8 + 3 * components}`,
    );
  }
  let maxH = 0;
  let maxV = 0;
  let blocks = 0;
  for (let i = 0, p = start + 6; i < components; i++, p += 3) {
    const h = bytes[p + 1] >> 4;
    const v = bytes[p + 1] & 0x0f;
    if (h < 1 || h > 4 || v < 1 || v > 4) {
      throw fail(`component ${i + 1} has sampling factors ${h}x${v} (each must be 1-4)`);
    }
    maxH = Math.max(maxH, h);
    maxV = Math.max(maxV, v);
    blocks += h * v;
  }
  if (components > 1 && blocks > 10) {
    throw fail(`an MCU of ${blocks} blocks is over the limit of 10 (bad sampling factors)`);
  }
  for (let i = 0, p = start + 6; i < components; i++, p += 3) {
    const h = bytes[p + 1] >> 4;
    const v = bytes[p + 1] & 0x0f;
    // libjpeg only upsamples by whole factors.
    if (maxH % h !== 0 || maxV % v !== 0) {
      throw new AppError(
        "unsupported_jpeg",
        `Cannot decode JPEG: component ${i + 1} sampling ${h}x${v} is a fractional ratio of ` +
          `${maxH}x${maxV}, which is not supported`,
      );
    }
  }
  const ids = Array.from({ length: components }, (_, i) => bytes[start + 6 + 3 * i]);
  if (new Set(ids).size !== ids.length) throw fail(`SOF lists component id ${ids} twice`);
  return { width, height, components, precision, process, ids };
}

function checkSize(width: number, height: number, maxPixels: number, maxSide: number): void {
  if (width === 0 || height === 0) {
    const dnl = height === 0 && width !== 0
      ? " (a height defined later by a DNL marker is not supported)"
      : "";
    throw new AppError("zero_dimensions", `Cannot decode JPEG: size is ${width}x${height}${dnl}`);
  }
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new AppError(
      "too_many_pixels",
      `Cannot decode JPEG: ${width}x${height} is ${megapixels(pixels)} MP, over the ` +
        `${megapixels(maxPixels)} MP limit`,
    );
  }
  if (width > maxSide || height > maxSide) {
    throw new AppError(
      "image_too_large",
      `Cannot decode JPEG: ${width}x${height} has a side over the ${maxSide} px limit`,
    );
  }
}

function megapixels(pixels: number): string {
  return (pixels / 1e6).toFixed(1);
}

/**
 * From the first SOS marker (at `sos`) to EOI: skips each scan's entropy-coded data to the next
 * marker, checks every scan header against the frame and the scan script so far, and counts.
 * Fails as soon as a limit is passed, so a file of 150,000 scans costs no more than one of 101.
 */
function walkScans(
  bytes: Uint8Array,
  frame: Frame,
  sos: number,
  options: ProbeOptions,
): Pick<JpegProbe, "scans" | "decodeWork" | "eoiOffset"> {
  const maxScans = options.maxScans ?? MAX_SCANS;
  const maxWork = options.maxDecodeWork ?? MAX_DECODE_WORK;
  const pixels = frame.width * frame.height;
  const script = new ScanScript(frame);
  const n = bytes.length;
  let scans = 0;
  let pos = sos;
  // `pos` is at a marker's 0xFF here: the first SOS, or one found after entropy-coded data.
  for (;;) {
    const marker = bytes[pos + 1];
    const at = pos;
    if (marker === 0xd9) {
      script.finish();
      return { scans, decodeWork: scans * pixels, eoiOffset: at };
    }
    if (pos + 4 > n) throw truncated(n);
    const length = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const end = pos + 2 + length;
    if (length < 2) {
      throw fail(`segment ${markerName(marker)} at offset ${at} has length ${length}`);
    }
    if (end > n) throw truncated(n);
    if (marker === 0xda) {
      scans++;
      if (scans > maxScans) {
        throw new AppError(
          "too_many_scans",
          `Cannot decode JPEG: over ${maxScans} scans (the limit; encoders write at most about 10)`,
        );
      }
      if (scans * pixels > maxWork) {
        throw new AppError(
          "too_many_scans",
          `Cannot decode JPEG: ${scans} scans of ${frame.width}x${frame.height} are over the ` +
            `decode work limit of ${megapixels(maxWork)} MP x scans`,
        );
      }
      script.scan(bytes, pos + 4, end, at);
      pos = nextMarker(bytes, end);
      continue;
    }
    if (SKIPPABLE(marker)) {
      // Tables, restart interval, DNL, APPn and COM between scans; then a marker must follow.
      if (end >= n) throw truncated(n);
      if (bytes[end] !== 0xff) {
        throw fail(`expected a marker at offset ${end}, found ${hex(bytes[end])}`);
      }
      pos = end;
      while (pos + 1 < n && bytes[pos + 1] === 0xff) pos++;
      if (pos + 1 >= n) throw truncated(n);
      continue;
    }
    if (marker === 0xd8) throw fail(`second SOI marker at offset ${at}`);
    if (SOF_PROCESS[marker] || UNSUPPORTED_MARKER[marker]) {
      throw fail(`second SOF marker ${markerName(marker)} at offset ${at}`);
    }
    throw fail(`invalid marker ${markerName(marker)} at offset ${at} after the first scan`);
  }
}

/** DHT, DAC, DNL, DQT, DRI, APPn and COM: segments that may sit between scans. */
const SKIPPABLE = (m: number): boolean =>
  m === 0xc4 || m === 0xcc || m === 0xdb || m === 0xdc || m === 0xdd || m === 0xfe ||
  (m >= 0xe0 && m <= 0xef);

const truncated = (n: number): AppError =>
  fail(`no EOI marker: the file ends inside the image data (truncated after ${n} bytes?)`);

/**
 * The offset of the next marker's 0xFF after entropy-coded data starting at `from`. Inside the
 * data 0xFF is followed by 0x00 (a stuffed byte), by RST0-7, or by more 0xFF fill; anything
 * else ends the scan. `indexOf` runs natively, so this is a memory scan, not a JS loop.
 */
function nextMarker(bytes: Uint8Array, from: number): number {
  const n = bytes.length;
  let i = from;
  for (;;) {
    i = bytes.indexOf(0xff, i);
    if (i < 0 || i + 1 >= n) throw truncated(n);
    const next = bytes[i + 1];
    if (next === 0xff) {
      i++;
    } else if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
      i += 2;
    } else {
      return i;
    }
  }
}

/**
 * The scan script so far, checked as libjpeg's jdphuff.c does but strictly: libjpeg only warns
 * ("Inconsistent progression sequence") and decodes on, and it accepts a first scan of a band
 * repeated any number of times, which is how a scan bomb is built. Here every band of every
 * component is sent once and then only refined one bit at a time, in order; a sequential file
 * sends each component once. A component with no scan at all is refused at EOI: the decoder
 * would fill it with grey.
 */
class ScanScript {
  readonly #frame: Frame;
  /** Per component and coefficient: the successive-approximation bit reached, -1 for none. */
  readonly #bits: Int8Array;

  constructor(frame: Frame) {
    this.#frame = frame;
    this.#bits = new Int8Array(frame.components * 64).fill(-1);
  }

  scan(bytes: Uint8Array, start: number, end: number, at: number): void {
    const count = start < end ? bytes[start] : 0;
    if (count < 1 || count > 4 || end - start !== 4 + 2 * count) {
      throw fail(`SOS header of ${end - start + 2} bytes does not fit ${count} components`);
    }
    const comps: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = bytes[start + 1 + 2 * i];
      const c = this.#frame.ids.indexOf(id);
      if (c < 0) throw fail(`scan at offset ${at} names component id ${id}, not in the frame`);
      if (comps.includes(c)) throw fail(`scan at offset ${at} names component id ${id} twice`);
      comps.push(c);
    }
    const p = start + 1 + 2 * count;
    const ss = bytes[p];
    const se = bytes[p + 1];
    const ah = bytes[p + 2] >> 4;
    const al = bytes[p + 2] & 0x0f;
    const bad = (why: string) => fail(`scan at offset ${at}: ${why}`);
    if (this.#frame.process !== "progressive") {
      if (ss !== 0 || se !== 63 || ah !== 0 || al !== 0) {
        throw bad(`spectral selection ${ss}-${se}, approximation ${ah}/${al} in a sequential file`);
      }
    } else {
      if (ss === 0 ? se !== 0 : se < ss || se > 63 || count !== 1) {
        throw bad(`spectral selection ${ss}-${se} for ${count} components`);
      }
      if (al > 13 || (ah !== 0 && al !== ah - 1)) {
        throw bad(`successive approximation ${ah}/${al}`);
      }
    }
    for (const c of comps) {
      const bits = this.#bits.subarray(c * 64, c * 64 + 64);
      if (ss > 0 && bits[0] < 0) throw bad(`AC band of component ${c + 1} before its DC`);
      for (let k = ss; k <= se; k++) {
        const reached = bits[k];
        if (ah === 0 ? reached >= 0 : reached !== ah) {
          throw bad(
            ah === 0
              ? `coefficient ${k} of component ${c + 1} is sent again (a repeated scan)`
              : `coefficient ${k} of component ${c + 1} refined out of order`,
          );
        }
        bits[k] = al;
      }
    }
  }

  finish(): void {
    for (let c = 0; c < this.#frame.components; c++) {
      if (this.#bits[c * 64] < 0) {
        throw fail(`component ${c + 1} has no scan before EOI (truncated?)`);
      }
    }
  }
}

function isExif(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= 6 && bytes[start] === 0x45 && bytes[start + 1] === 0x78 &&
    bytes[start + 2] === 0x69 && bytes[start + 3] === 0x66 && bytes[start + 4] === 0 &&
    bytes[start + 5] === 0;
}

/**
 * Reads IFD0's Orientation tag from a TIFF structure at [tiff, end). Anything malformed reads as
 * 1: broken metadata must never cost a user a valid image.
 */
function readExifOrientation(bytes: Uint8Array, tiff: number, end: number): Orientation {
  if (end - tiff < 8) return 1;
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  if (!little && !(bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d)) return 1;
  const u16 = (p: number): number =>
    little ? bytes[p] | (bytes[p + 1] << 8) : (bytes[p] << 8) | bytes[p + 1];
  // `>>> 0` keeps offsets over 2^31 positive, so they fail the bounds checks below.
  const u32 = (p: number): number =>
    (little
      ? bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)
      : (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
  if (u16(tiff + 2) !== 42) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0, p = ifd + 2; i < count && p + 12 <= end; i++, p += 12) {
    if (u16(p) !== 0x0112) continue;
    const type = u16(p + 2);
    // SHORT per the spec; some writers use LONG.
    const value = type === 3 ? u16(p + 8) : type === 4 ? u32(p + 8) : 0;
    return u32(p + 4) >= 1 && isOrientation(value) ? value : 1;
  }
  return 1;
}

function isAdobeYcck(bytes: Uint8Array, start: number, end: number): boolean {
  return end - start >= 12 && bytes[start] === 0x41 && bytes[start + 1] === 0x64 &&
    bytes[start + 2] === 0x6f && bytes[start + 3] === 0x62 && bytes[start + 4] === 0x65 &&
    bytes[start + 11] === 2;
}

/** Names what non-JPEG bytes look like, for an error message a person can act on. */
function describe(bytes: Uint8Array): string {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  const ascii = (from: number, text: string) =>
    [...text].every((c, i) => bytes[from + i] === c.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "a PNG";
  if (ascii(0, "GIF8")) return "a GIF";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "a WebP";
  if (ascii(4, "ftyp")) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (/^(avif|avis)$/.test(brand)) return "an AVIF";
    if (/^(heic|heix|hevc|hevx|mif1|msf1)$/.test(brand)) return "a HEIC/HEIF";
    return "an ISO media file (MP4/MOV/HEIF)";
  }
  if (ascii(0, "BM")) return "a BMP";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "a TIFF";
  if (ascii(0, "%PDF")) return "a PDF";
  if (starts(0xff, 0x4f, 0xff, 0x51) || ascii(4, "jP  ")) return "a JPEG 2000";
  if (starts(0xff, 0x0a) || starts(0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20)) return "a JPEG XL";
  if (looksLikeText(bytes)) return "text";
  const head = Array.from(bytes.subarray(0, 2), hex).join(" ");
  return `${bytes.length} byte${bytes.length === 1 ? "" : "s"} starting ${head}`;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 512);
  for (const b of head) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  try {
    // `stream` forgives a character cut off at the end of the sample.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}
