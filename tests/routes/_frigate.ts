/** Frigate's side of the DeepStack API: its frames, its exact request bytes and how it reads answers. */
import encode from "@jsquash/jpeg/encode.js";
import { decodeJpeg } from "../../inference/jpeg_decode.ts";

/**
 * A frame as Frigate's deepstack detector sends it: the detection region resized to the model
 * input (320x320 by default) and saved by PIL as a baseline JPEG at quality 75. Made from the
 * middle square of bus.jpg (the bus and its passengers), box-filtered down to `size`.
 */
export async function frigateFrame(size = 320): Promise<Uint8Array> {
  const src = await decodeJpeg(await Deno.readFile("tests/data/images/bus.jpg"));
  const side = Math.min(src.width, src.height);
  const x0 = Math.floor((src.width - side) / 2);
  const y0 = Math.floor((src.height - side) / 2);
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    const sy0 = y0 + Math.floor((y * side) / size);
    const sy1 = Math.max(sy0 + 1, y0 + Math.floor(((y + 1) * side) / size));
    for (let x = 0; x < size; x++) {
      const sx0 = x0 + Math.floor((x * side) / size);
      const sx1 = Math.max(sx0 + 1, x0 + Math.floor(((x + 1) * side) / size));
      const sum = [0, 0, 0];
      for (let sy = sy0; sy < sy1; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          const i = (sy * src.width + sx) * 4;
          sum[0] += src.data[i];
          sum[1] += src.data[i + 1];
          sum[2] += src.data[i + 2];
        }
      }
      const n = (sy1 - sy0) * (sx1 - sx0);
      data.set([sum[0] / n, sum[1] / n, sum[2] / n, 255], (y * size + x) * 4);
    }
  }
  const image = { width: size, height: size, data, colorSpace: "srgb" } as unknown as ImageData;
  // PIL's JPEG defaults: quality 75, baseline, Huffman tables not optimised.
  return new Uint8Array(
    await encode(image, { quality: 75, progressive: false, optimize_coding: false }),
  );
}

/**
 * The request Frigate's deepstack plugin makes, byte for byte: Python `requests.post(api_url,
 * data={"api_key": key}, files={"image": jpeg_bytes})`. requests encodes the data fields
 * first, then the files; raw bytes have no file name, so the field name is used as one; no
 * part gets a Content-Type; the boundary is 32 hex digits (urllib3's choose_boundary). Frigate
 * sends `api_key` even when it is empty.
 */
export function frigateRequest(
  options: { host: string; path: string; jpeg: Uint8Array; apiKey: string; boundary?: string },
): Uint8Array {
  const boundary = options.boundary ?? "5f8c3b1e9a7d4c2b8e6f0a1d3c5b7e9f";
  const text = (s: string) => new TextEncoder().encode(s);
  const body = concat(
    text(`--${boundary}\r\nContent-Disposition: form-data; name="api_key"\r\n\r\n`),
    text(options.apiKey),
    text(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="image"`),
    text("\r\n\r\n"),
    options.jpeg,
    text(`\r\n--${boundary}--\r\n`),
  );
  const head = [
    `POST ${options.path} HTTP/1.1`,
    `Host: ${options.host}`,
    "User-Agent: python-requests/2.32.3",
    "Accept-Encoding: gzip, deflate",
    "Accept: */*",
    "Connection: keep-alive",
    `Content-Length: ${body.length}`,
    `Content-Type: multipart/form-data; boundary=${boundary}`,
    "",
    "",
  ].join("\r\n");
  return concat(text(head), body);
}

/** One HTTP/1.1 response read off a socket: status, headers (lower-case) and body text. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends raw request bytes over TCP and reads one response (Content-Length or chunked). */
export async function sendRaw(port: number, request: Uint8Array): Promise<RawResponse> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (let sent = 0; sent < request.length;) {
      sent += await conn.write(request.subarray(sent));
    }
    let buffer: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    const more = async () => {
      const n = await conn.read(chunk);
      if (n === null) throw new Error("Connection closed before the response was complete");
      buffer = concat(buffer, chunk.subarray(0, n));
    };
    let headEnd: number;
    while ((headEnd = indexOf(buffer, "\r\n\r\n")) < 0) await more();
    const head = new TextDecoder().decode(buffer.subarray(0, headEnd)).split("\r\n");
    const status = Number(head[0].split(" ")[1]);
    const headers = new Map(
      head.slice(1).map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
      }),
    );
    let at = headEnd + 4;
    const parts: Uint8Array[] = [];
    if (headers.has("content-length")) {
      const length = Number(headers.get("content-length"));
      while (buffer.length < at + length) await more();
      parts.push(buffer.subarray(at, at + length));
    } else {
      // Chunked: size line, data, CRLF; a zero size ends it.
      for (;;) {
        let lineEnd: number;
        while ((lineEnd = indexOf(buffer, "\r\n", at)) < 0) await more();
        const size = parseInt(new TextDecoder().decode(buffer.subarray(at, lineEnd)), 16);
        at = lineEnd + 2;
        if (size === 0) break;
        while (buffer.length < at + size + 2) await more();
        parts.push(buffer.subarray(at, at + size));
        at += size + 2;
      }
    }
    return { status, headers, body: new TextDecoder().decode(concat(...parts)) };
  } finally {
    conn.close();
  }
}

/** Frigate's default labelmap (labelmap.txt): what its deepstack detector maps labels onto. */
// deno-fmt-ignore
export const FRIGATE_LABELMAP: readonly string[] = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "boat", "traffic light",
  "fire hydrant", "street sign", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
  "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "hat", "backpack", "umbrella",
  "shoe", "eye glasses", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
  "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
  "tennis racket", "bottle", "plate", "wine glass", "cup", "fork", "knife", "spoon", "bowl",
  "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut",
  "cake", "chair", "couch", "potted plant", "bed", "mirror", "dining table", "window", "desk",
  "toilet", "door", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave",
  "oven", "toaster", "sink", "refrigerator", "blender", "book", "clock", "vase", "scissors",
  "teddy bear", "hair drier", "toothbrush", "hair brush",
];

/**
 * Frigate's `DeepStack.detect_raw()` after the POST, line for line: `response.json()`, a
 * 20x6 array of zeros, stop at the first confidence under 0.4 or unknown label ("truck" is
 * read as "car"), and each row is [label index, confidence, y_min/h, x_min/w, y_max/h,
 * x_max/w]. Writing a 21st row is numpy's IndexError, which kills Frigate's detector process:
 * thrown here too.
 */
export function frigateDetectRaw(responseText: string, w: number, h: number): number[][] {
  const json = JSON.parse(responseText);
  const detections = Array.from({ length: 20 }, () => [0, 0, 0, 0, 0, 0]);
  if (json.predictions === undefined || json.predictions === null) return detections;
  const labelIndex = (value: string) => {
    const label = value.toLowerCase() === "truck" ? "car" : value.toLowerCase();
    return FRIGATE_LABELMAP.indexOf(label);
  };
  (json.predictions as Record<string, number & string>[]).every((d, i) => {
    if (d.confidence < 0.4) return false;
    const label = labelIndex(d.label);
    if (label < 0) return false;
    if (i >= 20) throw new Error(`IndexError: index ${i} is out of bounds for axis 0 with size 20`);
    detections[i] = [
      label,
      Number(d.confidence),
      d.y_min / h,
      d.x_min / w,
      d.y_max / h,
      d.x_max / w,
    ];
    return true;
  });
  return detections;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: string, from = 0): number {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = from; i <= haystack.length - n.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}
