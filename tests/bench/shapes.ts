/** Rectangular inputs over HTTP: model run and end-to-end per frame shape, shape switching, first request. */
import { letterbox } from "../../inference/letterbox.ts";
import { probeJpeg } from "../../inference/jpeg_probe.ts";
import { median, round } from "./_stats.ts";
import { spawnFloorServer, spawnService } from "./_spawn.ts";
import { detectOnce, postJpeg } from "./service.ts";
import { snapshotJpeg } from "./_snapshot.ts";

export interface Frame {
  name: string;
  /** Width / height of the camera frame. */
  aspect: number;
}

/** The square (Frigate's frames) first: the others are compared with it. */
export const FRAMES: readonly Frame[] = [
  { name: "square", aspect: 1 },
  { name: "16:9", aspect: 16 / 9 },
  { name: "4:3", aspect: 4 / 3 },
];

export interface ShapeRow {
  frame: string;
  snapshot: string;
  tensor: string;
  /** Model run (Server-Timing `infer`), p50 over same-shape runs, and over its square's. */
  inferP50: number;
  inferVsSquare: number;
  /** Client-side end-to-end over HTTP, p50, and over its square's. */
  endToEndP50: number;
  endToEndVsSquare: number;
  /** End-to-end p50 / model run p50 (target <= 1.10). */
  overhead: number;
  /** End-to-end p50 - model run p50: the milliseconds outside the model run. */
  outsideMs: number;
  /**
   * The same bytes through a bare Deno.serve and one worker holding each request for the model
   * run it pairs with (`_floor_server.ts`): e2e - hold, p50. No code of ours runs in it.
   */
  floorMs: number;
  /** (model run + floor) / model run: the best `overhead` this transport allows here. */
  floorOverhead: number;
  /** Model run p50 when every request has another shape than the one before it. */
  interleavedInferP50: number;
  /** Interleaved / same-shape model run p50: what switching shapes costs. */
  switchCost: number;
  /**
   * A fresh server's very first request, just after /readyz, when it was of this shape (p50
   * over the fresh services whose first request it was), over this shape's steady p50.
   */
  firstMs: number;
  firstVsSteady: number;
}

/**
 * One worker, sequential requests, all in one service process so the ratios share the machine's
 * load. `freshRuns` fresh services each measure their very first request after ready (the
 * shape sent first rotates: each shape is first in freshRuns / 3 of them, so a shape sent
 * after another shape never passes for a first request); the last one then measures
 * `requests` per shape, in same-shape blocks and interleaved, alternating so load drift hits
 * both.
 */
export async function benchShapes(
  photo: string,
  options: { requests: number; freshRuns: number; env?: Record<string, string> },
): Promise<ShapeRow[]> {
  const images = await Promise.all(FRAMES.map((f) => snapshotJpeg(photo, 320, f)));
  const env: Record<string, string> = {
    WORKERS: "1",
    RATE_LIMIT_RATE: "1000",
    RATE_LIMIT_BURST: "1000",
    ...options.env,
  };
  const first: number[][] = FRAMES.map(() => []);
  let service = await spawnService(env);
  const floor = await spawnFloorServer();
  try {
    for (let run = 0; run < options.freshRuns; run++) {
      if (run > 0) {
        await service.stop();
        service = await spawnService(env);
      }
      const i = run % FRAMES.length;
      first[i].push((await detectOnce(service.url, images[i])).ms);
    }
    const same = FRAMES.map(() => ({ e2e: [] as number[], infer: [] as number[] }));
    const floors: number[][] = FRAMES.map(() => []);
    const mixed: number[][] = FRAMES.map(() => []);
    const block = 10;
    for (let done = 0; done < options.requests; done += block) {
      for (let i = 0; i < FRAMES.length; i++) {
        for (let j = 0; j < block; j++) {
          const r = await detectOnce(service.url, images[i]);
          same[i].e2e.push(r.ms);
          same[i].infer.push(r.timings.infer);
          floors[i].push(await floorOnce(floor.url, images[i], r.timings.infer));
        }
      }
      for (let j = 0; j < block; j++) {
        for (let i = 0; i < FRAMES.length; i++) {
          mixed[i].push((await detectOnce(service.url, images[i])).timings.infer);
        }
      }
    }
    const inferSquare = median(same[0].infer);
    const e2eSquare = median(same[0].e2e);
    return FRAMES.map((f, i) => {
      const size = probeJpeg(images[i]);
      const tensor = letterbox({ ...size, data: new Uint8Array(size.width * size.height * 4) }, {
        width: 320,
        height: 320,
        stride: env.LETTERBOX === "square" ? undefined : 32,
      });
      const infer = median(same[i].infer);
      const e2e = median(same[i].e2e);
      const firstMs = median(first[i]);
      return {
        frame: f.name,
        snapshot: `${size.width}x${size.height}`,
        tensor: `${tensor.width}x${tensor.height}`,
        inferP50: round(infer, 1),
        inferVsSquare: round(infer / inferSquare),
        endToEndP50: round(e2e, 1),
        endToEndVsSquare: round(e2e / e2eSquare),
        overhead: round(e2e / infer),
        outsideMs: round(e2e - infer, 1),
        floorMs: round(median(floors[i]), 1),
        floorOverhead: round((infer + median(floors[i])) / infer),
        interleavedInferP50: round(median(mixed[i]), 1),
        switchCost: round(median(mixed[i]) / infer),
        firstMs: round(firstMs, 1),
        firstVsSteady: round(firstMs / e2e),
      };
    });
  } finally {
    await service.stop();
    await floor.stop();
  }
}

/** One request to the floor server held `holdMs`: its end-to-end time beyond the hold. */
async function floorOnce(url: string, image: Uint8Array, holdMs: number): Promise<number> {
  return (await postJpeg(`${url}/?hold=${holdMs}`, image)).ms - holdMs;
}
