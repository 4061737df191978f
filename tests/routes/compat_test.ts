/** Route tests for the DeepStack / CodeProject.AI API over real HTTP, with the real model. */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { AppError } from "../../inference/errors.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { roundResult } from "../../inference/round_result.ts";
import type { DetectResult } from "../../inference/types.ts";
import { DeepStackError, DeepStackResponse } from "../../routes/api_schemas.ts";
import type { Runner, RunOptions } from "../../inference/mod.ts";
import { withSize } from "../inference/_jpeg_fixtures.ts";
import { call, deferred, form, serveApp } from "./_app.ts";
import { frigateDetectRaw, frigateFrame, frigateRequest, sendRaw } from "./_frigate.ts";

const BUS = await Deno.readFile("tests/data/images/bus.jpg");
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const KEY = "frigate-test-key-0123456789";

type Prediction = {
  label: string;
  confidence: number;
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
};

/** Asserts a DeepStack error body and status, and returns the error text. */
function assertDeepStackError(r: { status: number; body: unknown }, status: number): string {
  assert.equal(r.status, status, JSON.stringify(r.body));
  const body = DeepStackError.parse(r.body);
  assert.deepEqual(Object.keys(r.body as object).sort(), ["duration", "error", "success"]);
  assert.equal(body.duration, 0);
  return body.error;
}

Deno.test("The DeepStack / CodeProject.AI API", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = serveApp(detector);
  const detection = `${app.url}/v1/vision/detection`;
  const frame = await frigateFrame(320);

  try {
    await t.step(
      "a recorded Frigate request gets predictions that Frigate maps onto its labelmap",
      async () => {
        // What Frigate's deepstack plugin sends with its default config: api_key "" and no
        // min_confidence, the frame in `image` with the field name as file name.
        const raw = frigateRequest({
          host: `127.0.0.1:${app.port}`,
          path: "/v1/vision/detection",
          jpeg: frame,
          apiKey: "",
        });
        const res = await sendRaw(app.port, raw);
        assert.equal(res.status, 200, res.body);
        assert.match(res.headers.get("content-type")!, /^application\/json/);
        const rows = frigateDetectRaw(res.body, 320, 320);
        const used = rows.filter((r) => r[1] > 0);
        assert.ok(used.length >= 3, res.body);
        // Label 0 is person and 5 is bus in Frigate's labelmap.
        assert.ok(used.some((r) => r[0] === 0), "a person");
        assert.ok(used.some((r) => r[0] === 5), "the bus");
        for (const [, confidence, yMin, xMin, yMax, xMax] of used) {
          assert.ok(confidence >= 0.4 && confidence <= 1);
          for (const v of [yMin, xMin, yMax, xMax]) assert.ok(v >= 0 && v <= 1, `${v} in 0-1`);
          assert.ok(yMin < yMax && xMin < xMax);
        }
        // Frigate stops at the first row it cannot use: every used row comes first.
        assert.ok(rows.slice(used.length).every((r) => r.every((v) => v === 0)));
      },
    );

    await t.step(
      "the answer has DeepStack's fields plus CodeProject.AI's, and nothing else",
      async () => {
        const r = await call(detection, { method: "POST", body: form(BUS) });
        assert.equal(r.status, 200, r.text);
        const body = DeepStackResponse.parse(r.body);
        assert.deepEqual(Object.keys(r.body).sort(), [
          "analysisRoundTripMs",
          "command",
          "count",
          "duration",
          "inferenceDevice",
          "inferenceMs",
          "message",
          "moduleId",
          "moduleName",
          "predictions",
          "processMs",
          "requestId",
          "success",
        ]);
        assert.equal(body.duration, 0);
        assert.equal(body.command, "detect");
        assert.equal(body.moduleId, "nothotdog");
        assert.equal(body.inferenceDevice, "CPU");
        assert.equal(body.requestId, r.headers.get("X-Request-Id"));
        assert.ok(body.analysisRoundTripMs >= body.inferenceMs);
        assert.equal(body.count, body.predictions.length);
        assert.ok(Number.isInteger(body.inferenceMs) && Number.isInteger(body.processMs));
        assert.ok(body.processMs >= body.inferenceMs);
        const labels = body.predictions.map((p) => p.label);
        assert.deepEqual([...labels].sort(), ["bus", "person", "person", "person"]);
        assert.equal(body.message, `Found ${labels.slice(0, 3).join(", ")}...`);
        const confidences = body.predictions.map((p) => p.confidence);
        assert.deepEqual(confidences, [...confidences].sort((a, b) => b - a), "best first");
        for (const p of r.body.predictions as Prediction[]) {
          assert.deepEqual(Object.keys(p).sort(), [
            "confidence",
            "label",
            "x_max",
            "x_min",
            "y_max",
            "y_min",
          ]);
          assert.ok(p.confidence >= 0.4 && p.confidence <= 1 && !Number.isInteger(p.confidence));
          for (const v of [p.x_min, p.y_min, p.x_max, p.y_max]) assert.ok(Number.isInteger(v));
          assert.ok(p.x_min >= 0 && p.x_max <= 810 && p.x_min < p.x_max);
          assert.ok(p.y_min >= 0 && p.y_max <= 1080 && p.y_min < p.y_max);
        }
        assert.match(r.headers.get("Server-Timing")!, /infer;dur=\d+\.\d/);
      },
    );

    await t.step(
      "coordinates are the detector's rounded boxes truncated, as DeepStack's int()",
      async () => {
        const native = await detector.detect(BUS, { conf: 0.4, maxDetections: 20 });
        const r = await call(detection, { method: "POST", body: form(BUS) });
        assert.deepEqual(
          r.body.predictions,
          // Rounded as everywhere the service answers (scores 0.001, boxes 0.1 px), then int().
          roundResult(native).detections.map((d) => ({
            label: d.label,
            confidence: d.score,
            x_min: Math.trunc(d.box.x1),
            y_min: Math.trunc(d.box.y1),
            x_max: Math.trunc(d.box.x2),
            y_max: Math.trunc(d.box.y2),
          })),
        );
      },
    );

    await t.step("min_confidence is the threshold; absent or blank means 0.4", async () => {
      const scores = async (fields: Record<string, string>) => {
        const r = await call(detection, { method: "POST", body: form(BUS, fields) });
        assert.equal(r.status, 200, r.text);
        return (r.body.predictions as Prediction[]).map((p) => p.confidence);
      };
      const absent = await scores({});
      assert.ok(absent.every((c) => c >= 0.4));
      // The 4th person scores about 0.5: present at 0.4, gone at 0.6.
      assert.ok(absent.some((c) => c < 0.6), String(absent));
      assert.deepEqual(await scores({ min_confidence: "" }), absent);
      assert.deepEqual(await scores({ min_confidence: "0.4" }), absent);
      const high = await scores({ min_confidence: "0.8" });
      assert.ok(high.length >= 1 && high.length < absent.length);
      assert.ok(high.every((c) => c >= 0.8));
      // Under 0.1 the bus photo has faint extra guesses (about 0.05-0.08).
      const low = await scores({ min_confidence: "0.05" });
      assert.ok(low.length > absent.length && low.length <= 20);
      assert.ok(low.every((c) => c >= 0.05));
    });

    await t.step(
      "/v1/vision/custom/{model} is the same detector; other models are 404",
      async () => {
        const name = detector.info.name;
        const ok = await call(`${app.url}/v1/vision/custom/${name}`, {
          method: "POST",
          body: form(BUS),
        });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.body.count, 4);
        const other = await call(`${app.url}/v1/vision/custom/ipcam-general`, {
          method: "POST",
          body: form(BUS),
        });
        assert.match(assertDeepStackError(other, 404), /ipcam-general.*yolov5n/);
      },
    );

    await t.step("the custom model list and both pings answer as CodeProject.AI", async () => {
      const codeProject = (body: Record<string, unknown>, command: string) => {
        assert.equal(body.command, command);
        assert.equal(body.moduleId, "nothotdog");
        assert.match(String(body.moduleName), /yolov5n/);
        assert.equal(body.inferenceDevice, "CPU");
        assert.match(String(body.requestId), /^[0-9a-f-]{36}$/);
        assert.ok(Number.isInteger(body.analysisRoundTripMs));
      };
      for (const method of ["POST", "GET"]) {
        const list = await call(`${app.url}/v1/vision/custom/list`, { method });
        assert.equal(list.status, 200, method);
        assert.equal(list.body.success, true);
        assert.deepEqual(list.body.models, [detector.info.name]);
        codeProject(list.body, "list");
      }
      for (const path of ["/v1/status/ping", "/v1/server/status/ping"]) {
        const ping = await call(`${app.url}${path}`);
        assert.equal(ping.status, 200);
        assert.equal(ping.body.success, true);
        codeProject(ping.body, "ping");
      }
    });

    await t.step("Blue Iris's update check answers: no update", async () => {
      const r = await call(`${app.url}/v1/status/updateavailable`);
      assert.equal(r.status, 200);
      assert.equal(r.body.success, true);
      assert.equal(r.body.updateAvailable, false);
      for (const key of ["version", "current", "latest"]) {
        assert.ok(Number.isInteger(r.body[key].major), key);
      }
    });

    await t.step(
      "the face routes say face recognition is not offered, in DeepStack's shape",
      async () => {
        // What Double Take calls.
        for (const path of ["recognize", "register", "delete", "list"]) {
          const r = await call(`${app.url}/v1/vision/face/${path}`, {
            method: "POST",
            body: form(BUS, { userid: "someone" }),
          });
          assert.match(assertDeepStackError(r, 404), /^Face recognition is not offered/);
        }
        assert.match(
          assertDeepStackError(await call(`${app.url}/v1/vision/face`, { method: "POST" }), 404),
          /Face recognition is not offered/,
        );
      },
    );

    await t.step("unknown /v1 routes answer 404 in DeepStack's shape", async () => {
      for (const [method, path] of [["POST", "/v1/vision/scene"], ["GET", "/v1/nothing/here"]]) {
        const r = await call(`${app.url}${path}`, { method });
        assert.match(assertDeepStackError(r, 404), new RegExp(`No route for ${method} ${path}`));
      }
    });

    const cases: [string, () => BodyInit, HeadersInit, number, RegExp][] = [
      [
        "no image field",
        () => form(undefined, { min_confidence: "0.5" }),
        {},
        400,
        /^No valid image file found$/,
      ],
      [
        "the image as a text field",
        () => form(undefined, { image: "abc" }),
        {},
        400,
        /^No valid image file found$/,
      ],
      [
        "a raw image/jpeg body",
        () => BUS,
        { "Content-Type": "image/jpeg" },
        400,
        /^No valid image file found$/,
      ],
      [
        "a JSON body",
        () => "{}",
        { "Content-Type": "application/json" },
        400,
        /^No valid image file found$/,
      ],
      [
        "a broken multipart body",
        () => "--x\r\n",
        { "Content-Type": "multipart/form-data; boundary=x" },
        400,
        /^No valid image file found$/,
      ],
      ["a PNG cut short", () => form(PNG), {}, 400, /^invalid image file: .*PNG/],
      ["an empty file", () => form(new Uint8Array(0)), {}, 400, /^invalid image file: /],
      ["a truncated JPEG", () => form(BUS.subarray(0, 300)), {}, 400, /^invalid image file: /],
      [
        "min_confidence abc",
        () => form(BUS, { min_confidence: "abc" }),
        {},
        400,
        /^Invalid value for min_confidence$/,
      ],
      [
        "min_confidence 1.5",
        () => form(BUS, { min_confidence: "1.5" }),
        {},
        400,
        /^min_confidence cannot be greater than 1$/,
      ],
      [
        "min_confidence -0.1",
        () => form(BUS, { min_confidence: "-0.1" }),
        {},
        400,
        /^min_confidence cannot be less than 0$/,
      ],
      ["a 30000x30000 JPEG", () => form(withSize(BUS, 30000, 30000)), {}, 413, /MP limit/],
    ];
    for (const [name, body, headers, status, error] of cases) {
      await t.step(`${name}: ${status} in DeepStack's error shape`, async () => {
        const r = await call(detection, { method: "POST", body: body(), headers });
        assert.match(assertDeepStackError(r, status), error);
      });
    }
  } finally {
    await app.close();
    await detector.close();
  }
});

/** A service that answers like the detector but from `detect`, to stage failures. */
function stub(
  detect: (bytes: Uint8Array, options?: RunOptions) => Promise<DetectResult>,
  info: Runner["info"],
): Runner {
  return { info, detect };
}

/** `n` detections, best first, laid out on a grid of a 640x640 image. */
function manyDetections(n: number): DetectResult {
  return {
    width: 640,
    height: 640,
    hotdog: false,
    hotdogScore: 0,
    detections: Array.from({ length: n }, (_, i) => ({
      label: "person",
      classId: 0,
      score: 0.95 - i * 0.01,
      box: { x1: (i % 6) * 100 + 0.7, y1: Math.floor(i / 6) * 100 + 0.2, x2: 0, y2: 0 },
    })).map((d) => ({ ...d, box: { ...d.box, x2: d.box.x1 + 90.9, y2: d.box.y1 + 90.9 } })),
    timings: { decode: 1.9, preprocess: 1, infer: 10.8, postprocess: 1, total: 14.7 },
  };
}

Deno.test("DeepStack errors keep DeepStack's shape with our status", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const info = detector.info;
  try {
    await t.step("a body over MAX_BODY_BYTES: 413", async () => {
      const app = serveApp(detector, { MAX_BODY_BYTES: 64 * 1024 });
      try {
        const r = await call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        assert.match(assertDeepStackError(r, 413), /65536-byte limit/);
      } finally {
        await app.close();
      }
    });

    await t.step("rate limited: 429 with Retry-After", async () => {
      const app = serveApp(detector, { RATE_LIMIT_RATE: 0.01, RATE_LIMIT_BURST: 1 });
      try {
        const first = await call(`${app.url}/v1/vision/detection`, {
          method: "POST",
          body: form(BUS),
        });
        assert.equal(first.status, 200);
        const r = await call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        assert.match(assertDeepStackError(r, 429), /Too many requests/);
        assert.ok(Number(r.headers.get("Retry-After")) >= 1);
        assert.match(r.headers.get("RateLimit")!, /r=0/);
      } finally {
        await app.close();
      }
    });

    await t.step("the queue is full: 503 with Retry-After", async () => {
      const started = deferred();
      const release = deferred();
      const app = serveApp(
        stub(async (bytes, options) => {
          started.resolve();
          await release.promise;
          return await detector.detect(bytes, options);
        }, info),
        { QUEUE_MAX: 0 },
      );
      try {
        const first = call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        await started.promise;
        const r = await call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        assert.match(assertDeepStackError(r, 503), /overloaded/);
        assert.ok(Number(r.headers.get("Retry-After")) >= 1);
        release.resolve();
        assert.equal((await first).status, 200);
      } finally {
        release.resolve();
        await app.close();
      }
    });

    await t.step("warming up: 503 with the service's message", async () => {
      const app = serveApp(
        stub(
          () => Promise.reject(new AppError("unavailable", "warming up", { retryAfter: 1 })),
          info,
        ),
      );
      try {
        const r = await call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        assert.equal(assertDeepStackError(r, 503), "warming up");
        assert.equal(r.headers.get("Retry-After"), "1");
      } finally {
        await app.close();
      }
    });

    await t.step("a server fault: 500 with DeepStack's words and no internals", async () => {
      const app = serveApp(stub(() => Promise.reject(new Error("secret internals")), info));
      const quiet = console.error;
      console.error = () => {};
      try {
        const r = await call(`${app.url}/v1/vision/detection`, { method: "POST", body: form(BUS) });
        assert.equal(assertDeepStackError(r, 500), "error occured on the server");
      } finally {
        console.error = quiet;
        await app.close();
      }
    });

    await t.step(
      "at most 20 predictions, best first, so Frigate's 20-row array never overflows",
      async () => {
        let asked: RunOptions | undefined;
        const app = serveApp(stub((_bytes, options) => {
          asked = options;
          return Promise.resolve(manyDetections(30));
        }, info));
        try {
          const r = await call(`${app.url}/v1/vision/detection`, {
            method: "POST",
            body: form(BUS),
          });
          assert.equal(r.status, 200, r.text);
          assert.equal(asked?.maxDetections, 20);
          assert.equal(asked?.conf, 0.4);
          assert.equal(r.body.count, 20);
          assert.equal(r.body.predictions.length, 20);
          assert.deepEqual(r.body.predictions[0], {
            label: "person",
            confidence: 0.95,
            x_min: 0,
            y_min: 0,
            x_max: 91,
            y_max: 91,
          });
          assert.equal(r.body.inferenceMs, 10);
          assert.equal(r.body.processMs, 14);
          const rows = frigateDetectRaw(r.text, 640, 640);
          assert.equal(rows.filter((row) => row[1] > 0).length, 20);
        } finally {
          await app.close();
        }
      },
    );
  } finally {
    await detector.close();
  }
});

Deno.test("DeepStack API keys: the api_key form field or a Bearer header", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = serveApp(detector, { API_KEYS: ["another-key-abcdefgh", KEY] });
  const detection = `${app.url}/v1/vision/detection`;
  try {
    await t.step("the right key in the form field, as Frigate sends it", async () => {
      const raw = frigateRequest({
        host: `127.0.0.1:${app.port}`,
        path: "/v1/vision/detection",
        jpeg: await frigateFrame(320),
        apiKey: KEY,
      });
      const res = await sendRaw(app.port, raw);
      assert.equal(res.status, 200, res.body);
      assert.equal(JSON.parse(res.body).success, true);
    });

    await t.step("the right key as Authorization: Bearer", async () => {
      const r = await call(detection, {
        method: "POST",
        body: form(BUS),
        headers: { Authorization: `Bearer ${KEY}` },
      });
      assert.equal(r.status, 200, r.text);
    });

    const refused: [string, Record<string, string>, HeadersInit][] = [
      ["no key", {}, {}],
      ["Frigate's default empty api_key", { api_key: "" }, {}],
      ["a wrong api_key", { api_key: "nope" }, {}],
      ["a key that is a prefix of the right one", { api_key: KEY.slice(0, -1) }, {}],
      ["a wrong Bearer header next to the right form key", { api_key: KEY }, {
        Authorization: "Bearer nope",
      }],
    ];
    for (const [name, fields, headers] of refused) {
      await t.step(`${name}: 401 Incorrect api key`, async () => {
        const r = await call(detection, { method: "POST", body: form(BUS, fields), headers });
        assert.equal(assertDeepStackError(r, 401), "Incorrect api key");
      });
    }

    await t.step("the key is checked before the image, as DeepStack does", async () => {
      const r = await call(detection, { method: "POST", body: form(undefined, { api_key: "x" }) });
      assert.equal(assertDeepStackError(r, 401), "Incorrect api key");
    });

    await t.step("the model list needs the key too; the pings do not", async () => {
      const list = `${app.url}/v1/vision/custom/list`;
      assertDeepStackError(await call(list, { method: "POST" }), 401);
      const ok = await call(list, { method: "POST", body: form(undefined, { api_key: KEY }) });
      assert.equal(ok.status, 200);
      assert.equal((await call(`${app.url}/v1/status/ping`)).status, 200);
    });
  } finally {
    await app.close();
    await detector.close();
  }
});
