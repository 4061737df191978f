/** Per-stage medians of the in-process detector at several input sizes. */
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import type { Timings } from "../../inference/types.ts";
import { median, round } from "./_stats.ts";

export interface StageRow {
  size: string;
  images: number;
  decode: number;
  preprocess: number;
  infer: number;
  postprocess: number;
  total: number;
}

/** Runs every image `rounds` times at each size (after one warm pass) and reports medians. */
export async function benchStages(
  images: readonly Uint8Array[],
  options: { sizes: readonly { width: number; height: number }[]; rounds: number; model?: string },
): Promise<StageRow[]> {
  const rows: StageRow[] = [];
  for (const size of options.sizes) {
    const detector = await loadDetector({
      ...DEFAULTS,
      MODEL_PATH: options.model ?? DEFAULTS.MODEL_PATH,
      INPUT_SIZE: size,
    });
    for (const img of images) await detector.detect(img);
    const samples: Timings[] = [];
    for (let r = 0; r < options.rounds; r++) {
      for (const img of images) samples.push((await detector.detect(img)).timings);
    }
    await detector.close();
    const m = (k: keyof Timings) => round(median(samples.map((s) => s[k] ?? 0)));
    rows.push({
      size: `${size.width}x${size.height}`,
      images: images.length,
      decode: m("decode"),
      preprocess: m("preprocess"),
      infer: m("infer"),
      postprocess: m("postprocess"),
      total: m("total"),
    });
  }
  return rows;
}
