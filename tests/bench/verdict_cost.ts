/** The verdict's added cost with the second opinion (auto, always, never) and RSS per worker under load. */
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import type { DetectResult } from "../../inference/types.ts";
import { spawnService } from "./_spawn.ts";
import { round } from "./_stats.ts";

export interface VerdictCostRow {
  mode: "never" | "auto" | "always";
  photos: number;
  /** Mean `timings.verdict` over every photo, ms. */
  verdictMean: number;
  /** Mean `timings.verdict` over the photos the classifier ran on, ms (NaN: none). */
  verdictWhenAsked: number;
  /** Share of photos that took the second opinion. */
  askedShare: number;
  /** Mean model run (YOLO) over the same photos, ms: the yardstick measured alongside. */
  inferMean: number;
  /** verdictMean / inferMean. */
  verdictPerInfer: number;
}

const mean = (xs: readonly number[]) =>
  xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/** In-process, one thread: each mode over the same photos, interleaved so load hits all alike. */
export async function benchVerdictCost(
  images: readonly Uint8Array[],
  options: { rounds: number },
): Promise<VerdictCostRow[]> {
  const modes = ["never", "auto", "always"] as const;
  // One after another: their warm-up runs share one WASM instance, and concurrent runs of
  // different sessions there fail now and then (OrtRun, ERROR_CODE 0, no message).
  const detectors = [];
  for (const m of modes) {
    detectors.push(await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: m }));
  }
  const results: DetectResult[][] = modes.map(() => []);
  try {
    for (let r = 0; r < options.rounds; r++) {
      for (const image of images) {
        for (const [k, d] of detectors.entries()) results[k].push(await d.detect(image));
      }
    }
  } finally {
    for (const d of detectors) await d.close();
  }
  return modes.map((mode, k) => {
    const rs = results[k];
    const asked = rs.filter((r) => r.verdict?.source === "second-opinion");
    const verdictMean = mean(rs.map((r) => r.timings.verdict ?? 0));
    const inferMean = mean(rs.map((r) => r.timings.infer));
    return {
      mode,
      photos: rs.length,
      verdictMean: round(verdictMean),
      verdictWhenAsked: round(mean(asked.map((r) => r.timings.verdict ?? 0))),
      askedShare: round(asked.length / rs.length, 3),
      inferMean: round(inferMean),
      verdictPerInfer: round(verdictMean / inferMean, 3),
    };
  });
}

export interface VerdictMemoryRow {
  workers: number;
  mode: string;
  requests: number;
  /** Resident set size of the whole service after the load, MB. */
  rssMb: number;
  /** Peak seen while loaded, MB. */
  peakRssMb: number;
}

/**
 * The real service with 1 and 2 workers, the classifier always asked (its session is warm in
 * every worker anyway): RSS after concurrent requests; per worker is the difference.
 */
export async function benchVerdictMemory(
  images: readonly Uint8Array[],
  options: { requests: number; clients: number },
): Promise<VerdictMemoryRow[]> {
  const rows: VerdictMemoryRow[] = [];
  for (const [workers, mode] of [[1, "always"], [2, "always"], [2, "never"]] as const) {
    const service = await spawnService(
      { WORKERS: String(workers), VERDICT_SECOND_OPINION: mode, RATE_LIMIT_RATE: "1000" },
      { readyTimeoutMs: 60_000 },
    );
    let peak = 0;
    let sent = 0;
    try {
      const client = async () => {
        while (sent < options.requests) {
          const image = images[sent++ % images.length];
          const res = await fetch(`${service.url}/api/v1/detect`, {
            method: "POST",
            body: image as BodyInit,
            headers: { "Content-Type": "image/jpeg" },
          });
          await res.body?.cancel();
          peak = Math.max(peak, service.rssBytes());
        }
      };
      await Promise.all(Array.from({ length: options.clients }, client));
      rows.push({
        workers,
        mode,
        requests: sent,
        rssMb: round(service.rssBytes() / 2 ** 20, 1),
        peakRssMb: round(peak / 2 ** 20, 1),
      });
    } finally {
      await service.stop();
    }
  }
  return rows;
}
