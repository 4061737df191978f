/** Formats detection timings as a `Server-Timing` header value. */
import type { Timings } from "../inference/mod.ts";

const ORDER = [
  "queue",
  "decode",
  "preprocess",
  "infer",
  "postprocess",
  "verdict",
  "total",
] as const;

export function serverTiming(t: Timings): string {
  return ORDER.filter((k) => typeof t[k] === "number")
    .map((k) => `${k};dur=${(t[k] as number).toFixed(1)}`)
    .join(", ");
}
