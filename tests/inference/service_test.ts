import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { AppError } from "../../inference/errors.ts";
import { queueInference, runnerSource, startInference } from "../../inference/service.ts";
import type { RunOptions } from "../../inference/types.ts";
import { errorStatus } from "../../routes/error_status.ts";

const BUS = Deno.readFileSync("tests/data/images/bus.jpg");
const OPTIONS = { mode: "auto", workers: 1, jobTimeoutMs: 10_000 } as const;

Deno.test("startInference() falls back to in-isolate inference where Workers are missing", async () => {
  // Deno Deploy may offer no Worker: simulate it by hiding the global for this start.
  const original = globalThis.Worker;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).Worker = undefined;
  let inference;
  try {
    inference = await startInference(DEFAULTS, OPTIONS);
  } finally {
    globalThis.Worker = original;
  }
  try {
    assert.equal(inference.ready(), false);
    await assert.rejects(() => inference.detect(BUS), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, "unavailable");
      assert.equal(errorStatus(err.code), 503);
      return true;
    });
    await inference.warm;
    assert.equal(inference.mode, "inline");
    assert.equal(inference.ready(), true);
    const result = await inference.detect(BUS);
    assert.ok(result.detections.filter((d) => d.label === "person").length >= 3);
    const stats = inference.stats();
    assert.equal(stats.size, 1);
    assert.ok(stats.wasmBytes[0] > 0, "WASM memory is reported in-isolate too");
  } finally {
    await inference.close();
  }
});

Deno.test("startInference() falls back when workers cannot start, and says why", async (t) => {
  await t.step("the Worker constructor throws (no worker support)", async () => {
    const original = globalThis.Worker;
    // deno-lint-ignore no-explicit-any
    (globalThis as any).Worker = class {
      constructor() {
        throw new TypeError("Workers are not supported here");
      }
    };
    const notes: string[] = [];
    let inference;
    try {
      inference = await startInference(DEFAULTS, { ...OPTIONS, log: (m) => notes.push(m) });
      await inference.warm;
    } finally {
      globalThis.Worker = original;
    }
    try {
      assert.equal(inference.mode, "inline");
      assert.match(notes.join("\n"), /workers unavailable \(.*not supported here\).*in-isolate/);
      assert.ok((await inference.detect(BUS)).detections.length >= 4);
    } finally {
      await inference.close();
    }
  });
  await t.step("the worker module fails as it loads", async () => {
    const out = await startInSubprocess("./_broken_worker.ts", "auto");
    assert.equal(out.mode, "inline");
    assert.ok(out.detections >= 4);
    assert.match(out.notes.join("\n"), /cannot run the detector in a worker.*in-isolate/);
  });
});

Deno.test("startInference() in workers mode refuses to fall back", async () => {
  const out = await startInSubprocess("./_broken_worker.ts", "workers");
  assert.match(out.error, /Cannot start worker 0: .*cannot run the detector in a worker/);
});

// `deno test` reports a worker's load-time error as the test's own failure, so the start-up
// paths that survive one run in a child process, as they would in the service.
async function startInSubprocess(workerPath: string, mode: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "tests/inference/_start_inference.ts",
      workerPath,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!);
}

Deno.test("startInference() fails at once on a model that is not YOLOv5", async () => {
  const path = await Deno.makeTempFile({ suffix: ".onnx" });
  await Deno.writeFile(path, BUS);
  try {
    await assert.rejects(
      () => startInference({ ...DEFAULTS, MODEL_PATH: path }, OPTIONS),
      (err: unknown) => err instanceof AppError && err.code === "model_invalid",
    );
    await assert.rejects(
      () => startInference({ ...DEFAULTS, MODEL_PATH: "models/missing.onnx" }, OPTIONS),
      /run `deno task assets`/,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("startInference() gives up on a worker that never says ready", async (t) => {
  const silent = new URL("./_silent_worker.ts", import.meta.url);
  await t.step("workers mode: start-up fails with a clear message", async () => {
    const inference = await startInference(DEFAULTS, {
      ...OPTIONS,
      mode: "workers",
      workerUrl: silent,
      startTimeoutMs: 500,
    });
    await assert.rejects(() => inference.warm, /Cannot start worker 0: not ready after 500 ms/);
    await inference.close();
  });
  await t.step("auto mode: falls back to in-isolate inference", async () => {
    const inference = await startInference(DEFAULTS, {
      ...OPTIONS,
      workerUrl: silent,
      startTimeoutMs: 500,
    });
    try {
      await inference.warm;
      assert.equal(inference.mode, "inline");
    } finally {
      await inference.close();
    }
  });
});

Deno.test("Inference.detect() probes once, before the queue, and hands the probe to the runner", async () => {
  const seen: RunOptions[] = [];
  const result = {
    width: 1,
    height: 1,
    hotdog: false,
    hotdogScore: 0,
    detections: [],
    timings: { decode: 1, preprocess: 1, infer: 1, postprocess: 1, total: 4 },
  };
  const runner = {
    info: {} as never,
    detect: (_bytes: Uint8Array, options: RunOptions) => {
      seen.push(options);
      return Promise.resolve(result);
    },
  };
  const inference = queueInference(runnerSource(runner), DEFAULTS);
  const probed: number[] = [];
  inference.attach({ probed: (p) => void probed.push(p.width) });
  const out = await inference.detect(BUS, { conf: 0.5, signal: new AbortController().signal });
  assert.deepEqual(probed, [810]);
  assert.equal(seen.length, 1);
  assert.equal(
    seen[0].probe?.width,
    810,
    "the runner gets the probe: the decoder need not redo it",
  );
  assert.equal(seen[0].conf, 0.5);
  assert.ok(!("signal" in seen[0]) || seen[0].signal === undefined, "no signal crosses");
  assert.equal(typeof out.timings.queue, "number");
  assert.equal(out.timings.total, 4 + out.timings.queue!);

  // A hook that refuses (the client cannot pay for the image) stops it before the queue.
  inference.attach({
    probed: () => {
      throw new AppError("rate_limited", "cannot pay");
    },
  });
  await assert.rejects(() => inference.detect(BUS), /cannot pay/);
  assert.equal(seen.length, 1, "a refused image never reaches the runner");
});
