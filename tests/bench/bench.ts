/** `deno task bench`: prints a readable table per section, or one JSON document with --json. */
import { parseArgs } from "node:util";
import { benchStages } from "./stages.ts";
import { listPhotos } from "../_photos.ts";
import { round } from "./_stats.ts";
import { benchLoad } from "./load.ts";
import type { ModelOnlyRow } from "./model_only.ts";
import { runBenchChild } from "./_child.ts";
import { benchBatch } from "./batch.ts";
import { benchCompatLatency } from "./compat_latency.ts";
import { benchColdStart, benchOverhead, benchSoak, benchThroughput } from "./service.ts";
import { snapshotJpeg } from "./_snapshot.ts";
import { benchOddMethods, benchScanBombs, benchStalledUploads } from "./attack.ts";
import { benchShapes, FRAMES } from "./shapes.ts";
import { benchCamera } from "./camera.ts";
import { benchVerdictCost, benchVerdictMemory } from "./verdict_cost.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    json: { type: "boolean" },
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
  },
});
const rounds = Number(args.values.rounds);
const only = args.values.only?.split(",");
const want = (name: string) => !only || only.includes(name);
const log = (s: string) => {
  if (!args.values.json) console.log(s);
};

/** Typical inputs: the bus photo and a spread of food photos of various sizes. */
async function sampleImages(): Promise<Uint8Array[]> {
  const photos = (await listPhotos()).filter((_, i) => i % 35 === 0);
  return [
    await Deno.readFile("tests/data/images/bus.jpg"),
    ...(await Promise.all(photos.map((p) => Deno.readFile(p.path)))),
  ];
}

const report: Record<string, unknown> = {
  machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno, v8: Deno.version.v8 },
};
const images = await sampleImages();

if (want("stages")) {
  const sizes = [256, 320, 416, 640].map((s) => ({ width: s, height: s }));
  const rows = await benchStages(images, { sizes, rounds });
  report.stages = rows;
  log(`\nPer-stage medians, ms (${images.length} images x ${rounds} rounds, in-process, 1 thread)`);
  if (!args.values.json) console.table(rows);
}

if (want("batch")) {
  const rows = await benchBatch("models/yolov5n.onnx", {
    size: 320,
    batches: [1, 2, 4],
    runs: 5 * rounds,
  });
  report.batch = rows;
  log("\nBatching, model only at 320, 1 thread: a batch pays only if ms per image drops");
  if (!args.values.json) console.table(rows);
}

const snapshot = await snapshotJpeg("tests/data/images/bus.jpg");

if (want("verdict")) {
  const photos = (await listPhotos()).filter((_, i) => i % 7 === 0);
  const imgs = await Promise.all(photos.map((p) => Deno.readFile(p.path)));
  const cost = await benchVerdictCost(imgs, { rounds: 1 });
  const memory = await benchVerdictMemory(imgs, { requests: 200, clients: 4 });
  report.verdict = { cost, memory };
  log(
    `\nVerdict cost by VERDICT_SECOND_OPINION, ${imgs.length} dev photos, in-process (ms); ` +
      "targets: auto mean <= 12, when asked <= 35",
  );
  if (!args.values.json) console.table(cost);
  log("\nRSS under load, 4 clients, 200 requests (MB); target: 2 workers <= 600");
  if (!args.values.json) console.table(memory);
}

if (want("overhead")) {
  const r = await benchOverhead(snapshot, { requests: 50 * rounds });
  report.overhead = r;
  log("\nEnd-to-end over HTTP vs model run, 1 worker, sequential (ms); target overhead <= 1.10");
  if (!args.values.json) console.table([r]);
}

if (want("shapes")) {
  const rows = await benchShapes("tests/data/images/bus.jpg", {
    requests: 20 * rounds,
    // Each shape is the very first request of `rounds` fresh services.
    freshRuns: FRAMES.length * rounds,
  });
  report.shapes = rows;
  log(
    "\nFrame shapes, bus.jpg centre crops as 320 snapshots, 1 worker, one service (ms); targets: " +
      "inferVsSquare <= 0.65 (16:9), <= 0.80 (4:3); overhead <= 1.10; firstVsSteady <= 1.5",
  );
  if (!args.values.json) console.table(rows);
}

if (want("camera")) {
  const rows = await benchCamera({ answers: 10 * rounds });
  report.camera = rows;
  log("\nCamera page in Chromium, fake camera, the real service (default workers), ms");
  if (!args.values.json) console.table(rows);
}

if (want("throughput")) {
  const seconds = 10;
  const rows = await benchThroughput(snapshot, {
    layouts: [{ workers: 1, threads: 1 }, { workers: 2, threads: 1 }],
    clients: (l) => 2 * l.workers,
    seconds,
  });
  const ratio = round(rows[1].perSecond / rows[0].perSecond);
  report.throughput = { rows, ratio };
  log(`\nThroughput, detections/s (2 clients per worker); 2 workers / 1 worker = ${ratio}`);
  if (!args.values.json) console.table(rows);
}

if (want("threads")) {
  // Threads per worker vs more workers, for one client (latency) and for four (throughput).
  const layouts = [{ workers: 2, threads: 1 }, { workers: 1, threads: 2 }];
  const rows = [
    ...await benchThroughput(snapshot, { layouts, clients: () => 1, seconds: 8 }),
    ...await benchThroughput(snapshot, { layouts, clients: () => 4, seconds: 8 }),
  ];
  report.threads = rows;
  log("\nWorkers vs WASM threads per worker: 1 client, then 4 clients");
  if (!args.values.json) console.table(rows);
}

if (want("coldstart")) {
  const r = await benchColdStart(snapshot, { runs: 3, workers: 2 });
  report.coldStart = r;
  log("\nCold start, 2 workers (ms): spawn -> /readyz 200, spawn -> first detection");
  if (!args.values.json) console.table([r]);
}

if (want("soak")) {
  const photos = (await listPhotos()).filter((_, i) => i % 50 === 0);
  const imgs = await Promise.all(photos.map((p) => snapshotJpeg(p.path)));
  const r = await benchSoak([snapshot, ...imgs], { requests: 1000, workers: 2 });
  report.soak = r;
  log("\nMemory after 1,000 requests, 2 workers (MB); target <= 300, flat over the last 500");
  if (!args.values.json) console.table([r]);
}

if (want("compat")) {
  const r = await benchCompatLatency({ requests: 100 * rounds });
  report.compat = r;
  log("\nDeepStack route, 320x320 frame, 1 worker, sequential (ms)");
  if (!args.values.json) console.table([r]);
}

if (want("load")) {
  const result = await benchLoad(snapshot, { clients: 24, seconds: 20, workers: 2 });
  report.load = result;
  log(`\nLoad: ${result.clients} clients for ${result.seconds} s on ${result.workers} workers`);
  if (!args.values.json) console.table([result]);
}

if (want("attacks")) {
  const bombs = await benchScanBombs(snapshot, { seconds: 20, workers: 2 });
  const stalls = await benchStalledUploads(snapshot, { uploads: 100, seconds: 25 });
  const methods = await benchOddMethods({ requests: 3000 });
  report.attacks = { bombs, stalls, methods };
  log("\nA normal client while 2 clients send scan bombs (20,007 scans, 4096x4096), 2 workers");
  if (!args.values.json) console.table([bombs]);
  log("\n100 uploads that send 4.9 of 5 MB, then a byte every 10 s, 1 worker");
  if (!args.values.json) console.table([stalls]);
  log("\n/metrics after 3,000 requests with unique 8 KB methods");
  if (!args.values.json) console.table([methods]);
}

// In its own process: the native runtime stays out of this isolate, which starts Workers.
if (want("model")) {
  const rows = await runBenchChild<ModelOnlyRow[]>(
    new URL("./model_only.ts", import.meta.url),
    ["models/yolov5n.onnx", "320,640", String(10 * rounds)],
  );
  report.modelOnly = rows;
  log("\nModel only, ms (median): onnxruntime-web WASM vs onnxruntime-node native, 1 thread each");
  if (!args.values.json) console.table(rows);
}

if (args.values.json) console.log(JSON.stringify(report, null, 2));
