/** What the verdict costs per snapshot: the head's math, the pooled outputs, and end to end. */
import { DEFAULTS } from "../../../config.ts";
import { loadDetector } from "../../../inference/load_detector.ts";
import { detectOutputs } from "../../../inference/detector.ts";
import { prepareModel } from "../../../inference/model_prepare.ts";
import { postprocess } from "../../../inference/postprocess.ts";
import { createSession } from "../../../inference/session.ts";
import { decodeJpeg } from "../../../inference/jpeg_decode.ts";
import { letterbox } from "../../../inference/letterbox.ts";
import {
  foodClassIds,
  pooledFeatures,
  prepareOptionsFor,
} from "../../../inference/verdict/features.ts";
import { judge } from "../../../inference/verdict/judge.ts";
import { loadVerdictModel } from "../../../inference/verdict/model.ts";
import { snapshotJpeg } from "../../bench/_snapshot.ts";

const PHOTO = "tests/data/hotdog/seefood-train/hot_dog/930190.jpg";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = 320;
const head = (await loadVerdictModel(DEFAULTS.VERDICT_HEAD))!;
const bytes = await Deno.readFile(DEFAULTS.MODEL_PATH);
const withF = prepareModel(bytes, prepareOptionsFor(head.features));
const without = prepareModel(bytes);
const [sWith, sWithout] = [await createSession(withF), await createSession(without)];
const image = await decodeJpeg(await snapshotJpeg(PHOTO));
const lb = letterbox(image, { width: size, height: size });
const dims = [1, 3, size, size];

// 1. The graph: 7 GlobalAveragePool outputs on top of the three heads, interleaved runs.
const tWith: number[] = [], tWithout: number[] = [];
for (let i = 0; i < 60; i++) {
  for (const [s, into] of [[sWith, tWith], [sWithout, tWithout]] as const) {
    const t = performance.now();
    await s.run(lb.tensor, dims);
    if (i >= 10) into.push(performance.now() - t);
  }
}

// 2. The verdict's own math after the run: features, head, food gate, region.
const out = await sWith.run(lb.tensor, dims);
const grids = detectOutputs(withF, out, size);
const mapping = {
  scaleX: lb.scaleX,
  scaleY: lb.scaleY,
  padX: lb.padX,
  padY: lb.padY,
  imageWidth: image.width,
  imageHeight: image.height,
};
const { classMax, classBest } = postprocess(grids, {
  classNames: withF.classNames,
  conf: 0.25,
  iou: 0.45,
  maxDetections: 300,
  ...mapping,
});
const maps = withF.featureOutputs.map((n) => out.get(n)!);
const area = { mapping, inputWidth: size, inputHeight: size };
const run = {
  // Pooling over the picture's cells is part of the verdict's math.
  pooled: () => pooledFeatures(maps, head.features, area),
  classMax,
  classBest,
  detectOutputs: grids,
  mapping,
};
const options = { threshold: 0.5, hotdogClass: 52, foodClasses: foodClassIds(withF.classNames) };
const time = (model: typeof head | null) => {
  const judgeOnce = () =>
    judge({ ...run, pooled: () => pooledFeatures(maps, head.features, area) }, {
      ...options,
      model,
    });
  for (let i = 0; i < 500; i++) judgeOnce();
  const ts: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    judgeOnce();
    ts.push(performance.now() - t);
  }
  return median(ts);
};
const judgeHead = time(head);
const judgeClass = time(null);

// 3. End to end on a camera-sized snapshot: the detector head vs VERDICT_HEAD=none (the second
// opinion's cost is in `deno task bench --only verdict`).
const snapshot = await snapshotJpeg(PHOTO);
const e2e: Record<string, number[]> = { head: [], none: [] };
const detectors = {
  head: await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: "never" }),
  none: await loadDetector({ ...DEFAULTS, VERDICT_HEAD: "none" }),
};
for (let i = 0; i < 50; i++) {
  for (const k of ["head", "none"] as const) {
    const r = await detectors[k].detect(snapshot);
    if (i >= 10) e2e[k].push(r.timings.total);
  }
}
console.log(
  `session.run at ${size}: ${median(tWith).toFixed(2)} ms with the 7 feature maps as outputs, ` +
    `${median(tWithout).toFixed(2)} ms without (median of 50, interleaved)`,
);
console.log(
  `judge(): ${(judgeHead * 1000).toFixed(0)} us with the head (features, head, gate, ` +
    `region, pooling over the picture), ${(judgeClass * 1000).toFixed(0)} us class only ` +
    "(median of 500)",
);
console.log(
  `detect() on a 320px snapshot: ${median(e2e.head).toFixed(2)} ms with the head, ` +
    `${median(e2e.none).toFixed(2)} ms with VERDICT_HEAD=none (median of 40, interleaved)`,
);
for (const d of Object.values(detectors)) await d.close();
await sWith.release();
await sWithout.release();
