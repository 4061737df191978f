/** Route tests for the native JSON API, its OpenAPI document, the docs page and CORS, over HTTP. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
// Test-only: pinned here, not in deno.json, so the image never installs it.
// deno-lint-ignore no-import-prefix
import { Validator } from "npm:@seriousme/openapi-schema-validator@2.11.0";
import { DEFAULTS } from "../../config.ts";
import { AppError } from "../../inference/errors.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { DetectResponse, ErrorResponse, ModelResponse } from "../../routes/api_schemas.ts";
import type { Runner } from "../../inference/mod.ts";
import { HOTDOG_PHOTO } from "../browser/photos.ts";
import { withComponents, withSize } from "../inference/_jpeg_fixtures.ts";
import { call, form, serveApp } from "./_app.ts";

const BUS = await Deno.readFile("tests/data/images/bus.jpg");
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = { "Content-Type": "image/jpeg" };

type Det = { label: string; classId: number; score: number };

/** Asserts the API's JSON error with this status and code; returns the message. */
function assertError(
  r: { status: number; body: unknown; text: string },
  status: number,
  code: string,
) {
  assert.equal(r.status, status, r.text);
  const body = ErrorResponse.parse(r.body);
  assert.equal(body.error.code, code, r.text);
  assert.match(body.error.message, /\S/);
  return body.error.message;
}

Deno.test("The native API", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = serveApp(detector);
  const detect = (query = "", init: RequestInit = { body: BUS, headers: JPEG }) =>
    call(`${app.url}/api/v1/detect${query}`, { method: "POST", ...init });

  try {
    let busDetections: Det[] = [];

    await t.step("a raw image/jpeg body gets the documented result with the model", async () => {
      const r = await detect();
      assert.equal(r.status, 200, r.text);
      const body = DetectResponse.parse(r.body);
      assert.deepEqual(Object.keys(r.body).sort(), [
        "detections",
        "height",
        "hotdog",
        "hotdogScore",
        "model",
        "timings",
        "verdict",
        "width",
      ]);
      assert.deepEqual(body.model, { name: "yolov5n", inputSize: { width: 320, height: 320 } });
      // A street scene: COCO sees no food, so the class decides, and says so.
      assert.equal(body.verdict.source, "class");
      assert.equal(body.verdict.threshold, 0.5);
      assert.ok(body.verdict.foodScore < 0.05, `foodScore ${body.verdict.foodScore}`);
      assert.equal(body.width, 810);
      assert.equal(body.height, 1080);
      assert.equal(body.hotdog, false);
      assert.deepEqual(body.detections.map((d) => d.label).sort(), [
        "bus",
        "person",
        "person",
        "person",
      ]);
      assert.deepEqual(Object.keys(r.body.detections[0]).sort(), [
        "box",
        "classId",
        "label",
        "score",
      ]);
      assert.equal(typeof body.timings.queue, "number");
      assert.match(r.headers.get("Server-Timing")!, /^queue;dur=[\d.]+, decode;dur=/);
      assert.equal(r.headers.get("Cache-Control"), "no-store");
      assert.match(r.headers.get("Content-Type")!, /^application\/json/);
      busDetections = body.detections;
    });

    await t.step(
      "the multipart field image and application/octet-stream give the same",
      async () => {
        for (
          const init of [{ body: form(BUS) }, {
            body: BUS,
            headers: { "Content-Type": "application/octet-stream" },
          }]
        ) {
          const r = await detect("", init);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.body.detections, busDetections.map((d) => ({ ...d })));
        }
      },
    );

    await t.step("conf raises the threshold", async () => {
      const r = await detect("?conf=0.8");
      assert.equal(r.status, 200, r.text);
      const scores = (r.body.detections as Det[]).map((d) => d.score);
      assert.ok(scores.length >= 1 && scores.length < busDetections.length);
      assert.ok(scores.every((s) => s >= 0.8));
    });

    await t.step("iou 1 suppresses nothing, so it keeps at least as many boxes", async () => {
      const r = await detect("?iou=1&conf=0.05");
      const d = await detect("?conf=0.05");
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.detections.length >= d.body.detections.length);
    });

    await t.step("max keeps the best detections", async () => {
      const r = await detect("?max=2");
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.detections, busDetections.slice(0, 2));
    });

    await t.step("classes filters by names (any case) or ids", async () => {
      const labels = async (classes: string) => {
        const r = await detect(`?classes=${encodeURIComponent(classes)}`);
        assert.equal(r.status, 200, r.text);
        return (r.body.detections as Det[]).map((d) => d.label).sort();
      };
      assert.deepEqual(await labels("bus"), ["bus"]);
      assert.deepEqual(await labels("0"), ["person", "person", "person"]);
      assert.deepEqual(await labels("Person, BUS"), ["bus", "person", "person", "person"]);
      assert.deepEqual(await labels("5,hot dog"), ["bus"]);
    });

    await t.step("the verdict ignores the request's class filter", async () => {
      const photo = await Deno.readFile(HOTDOG_PHOTO);
      const all = await detect("", { body: photo, headers: JPEG });
      const people = await detect("?classes=person", { body: photo, headers: JPEG });
      assert.equal(all.body.hotdog, true, all.text);
      assert.ok((all.body.detections as Det[]).some((d) => d.label === "hot dog"));
      assert.ok((people.body.detections as Det[]).every((d) => d.label === "person"));
      assert.equal(people.body.hotdog, true);
      assert.equal(people.body.hotdogScore, all.body.hotdogScore);
    });

    const badQueries: [string, RegExp][] = [
      ["?conf=2", /conf must be a number from 0 to 1/],
      ["?conf=", /conf must be a number from 0 to 1/],
      ["?conf=abc", /conf must be a number from 0 to 1/],
      ["?iou=-0.1", /iou must be a number from 0 to 1/],
      ["?max=0", /max must be a whole number from 1 to 1000/],
      ["?max=1.5", /max must be a whole number/],
      ["?classes=", /classes must name at least one class/],
      ["?classes=unicorn", /unknown class "unicorn".*0-79/],
      ["?classes=80", /unknown class "80"/],
      ["?classes=person,,bus", /unknown class ""/],
      ["?confidence=0.5", /unknown parameter confidence \(known: conf, iou, classes, max\)/],
    ];
    for (const [query, message] of badQueries) {
      await t.step(`${query}: 400 invalid_parameter before the upload is read`, async () => {
        const r = await detect(query);
        assert.match(assertError(r, 400, "invalid_parameter"), message);
      });
    }

    const badBodies: [string, RequestInit, number, string][] = [
      ["multipart without image", { body: form(undefined, { photo: "x" }) }, 400, "missing_field"],
      [
        "multipart with image as text",
        { body: form(undefined, { image: "x" }) },
        400,
        "missing_field",
      ],
      ["an empty body", { body: new Uint8Array(0), headers: JPEG }, 400, "empty_input"],
      ["an empty file", { body: form(new Uint8Array(0)) }, 400, "empty_input"],
      [
        "text/plain",
        { body: "hello", headers: { "Content-Type": "text/plain" } },
        415,
        "unsupported_media_type",
      ],
      ["no Content-Type", { body: new Blob([BUS as BlobPart]) }, 415, "unsupported_media_type"],
      ["a PNG cut short in its header", { body: PNG, headers: JPEG }, 422, "corrupt_image"],
      [
        "a CMYK JPEG",
        { body: withComponents(BUS, 4) as BodyInit, headers: JPEG },
        415,
        "unsupported_jpeg",
      ],
      [
        "a truncated JPEG",
        { body: BUS.subarray(0, BUS.length >> 1), headers: JPEG },
        422,
        "corrupt_jpeg",
      ],
      [
        "a 30000x30000 JPEG",
        { body: withSize(BUS, 30000, 30000) as BodyInit, headers: JPEG },
        413,
        "too_many_pixels",
      ],
    ];
    for (const [name, init, status, code] of badBodies) {
      await t.step(`${name}: ${status} ${code}`, async () => {
        assertError(await detect("", init), status, code);
      });
    }

    await t.step("an unknown route or method: 404 not_found as JSON", async () => {
      assertError(await call(`${app.url}/api/v1/nope`), 404, "not_found");
      assertError(await call(`${app.url}/api/v1/detect`), 404, "not_found");
    });

    await t.step("GET /api/v1/model lists the model, classes and thresholds in force", async () => {
      const r = await call(`${app.url}/api/v1/model`);
      assert.equal(r.status, 200, r.text);
      const body = ModelResponse.parse(r.body);
      assert.equal(body.name, "yolov5n");
      assert.deepEqual(body.inputSize, { width: 320, height: 320 });
      assert.deepEqual(body.inputSizes, [{ width: 320, height: 320 }]);
      assert.equal(body.classes.length, 80);
      assert.equal(body.classes[0], "person");
      assert.equal(body.classes[52], "hot dog");
      assert.deepEqual(body.thresholds, {
        conf: DEFAULTS.CONF_THRESHOLD,
        iou: DEFAULTS.IOU_THRESHOLD,
        maxDetections: DEFAULTS.MAX_DETECTIONS,
        hotdog: DEFAULTS.HOTDOG_THRESHOLD,
      });
      assert.deepEqual(body.limits, { maxBodyBytes: DEFAULTS.MAX_BODY_BYTES });
    });

    await t.step("GET /openapi.json validates as OpenAPI 3 and documents every route", async () => {
      const r = await call(`${app.url}/openapi.json`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("Content-Type")!, /^application\/json/);
      const validator = new Validator();
      const result = await validator.validate(r.body);
      assert.equal(result.valid, true, JSON.stringify(result.errors));
      assert.equal(validator.version, "3.1");
      assert.deepEqual(Object.keys(r.body.paths).sort(), [
        "/api/v1/detect",
        "/api/v1/model",
        "/v1/server/status/ping",
        "/v1/status/ping",
        "/v1/status/updateavailable",
        "/v1/vision/custom/list",
        "/v1/vision/custom/yolov5n",
        "/v1/vision/detection",
      ]);
      const params = r.body.paths["/api/v1/detect"].post.parameters;
      assert.deepEqual(params.map((p: { name: string }) => p.name), [
        "conf",
        "iou",
        "classes",
        "max",
      ]);
      assert.deepEqual(params[0].schema, { type: "number", minimum: 0, maximum: 1 });
      const detection = r.body.components.schemas.Detection;
      assert.deepEqual(Object.keys(detection.properties), ["label", "classId", "score", "box"]);
      // No keys: no operation requires one ({}), though the scheme is described.
      assert.deepEqual(r.body.paths["/api/v1/detect"].post.security, [{}, { bearer: [] }]);
      // The validator is a real one: it refuses a document that is not OpenAPI.
      const broken = { ...r.body, info: undefined };
      assert.equal((await new Validator().validate(broken)).valid, false);
    });

    await t.step("/api/docs documents both APIs with curl for this very server", async () => {
      const r = await call(`${app.url}/api/docs`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("Content-Type")!, /^text\/html/);
      assert.match(r.text, /^<!doctype html>/);
      assert.ok(r.text.includes(`curl -sS ${app.url}/api/v1/detect`));
      assert.ok(r.text.includes(`curl -sS ${app.url}/v1/vision/detection -F image=@photo.jpg`));
      assert.ok(r.text.includes(`api_url: ${app.url}/v1/vision/detection`));
      assert.match(r.text, /href="\/openapi.json"/);
      // The one inline style is allowed by its hash and nothing else is allowed at all.
      const style = /<style>([^<]*)<\/style>/.exec(r.text)![1];
      const hash = createHash("sha256").update(style).digest("base64");
      const csp = r.headers.get("Content-Security-Policy")!;
      assert.ok(csp.startsWith(`default-src 'none'; style-src 'sha256-${hash}'`), csp);
    });
  } finally {
    await app.close();
    await detector.close();
  }
});

Deno.test("Native API admission and server errors", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const info = detector.info;
  const stub = (detect: Runner["detect"]): Runner => ({ info, detect });
  const post = (url: string) =>
    call(`${url}/api/v1/detect`, { method: "POST", body: BUS, headers: JPEG });
  try {
    await t.step("a body over MAX_BODY_BYTES: 413 body_too_large", async () => {
      const app = serveApp(detector, { MAX_BODY_BYTES: 64 * 1024 });
      try {
        assertError(await post(app.url), 413, "body_too_large");
        const chunked = await call(`${app.url}/api/v1/detect`, {
          method: "POST",
          body: new Blob([BUS as BlobPart]).stream(),
          headers: JPEG,
        });
        assertError(chunked, 413, "body_too_large");
      } finally {
        await app.close();
      }
    });

    await t.step("rate limited: 429 rate_limited with Retry-After", async () => {
      const app = serveApp(detector, { RATE_LIMIT_RATE: 0.01, RATE_LIMIT_BURST: 1 });
      try {
        assert.equal((await post(app.url)).status, 200);
        const r = await post(app.url);
        assertError(r, 429, "rate_limited");
        assert.ok(Number(r.headers.get("Retry-After")) >= 1);
      } finally {
        await app.close();
      }
    });

    await t.step("warming up: 503 unavailable with Retry-After", async () => {
      const app = serveApp(
        stub(() => Promise.reject(new AppError("unavailable", "warming", { retryAfter: 2 }))),
      );
      try {
        const r = await post(app.url);
        assertError(r, 503, "unavailable");
        assert.equal(r.headers.get("Retry-After"), "2");
      } finally {
        await app.close();
      }
    });

    await t.step("a server fault: 500 internal", async () => {
      const app = serveApp(stub(() => Promise.reject(new Error("boom"))));
      const quiet = console.error;
      console.error = () => {};
      try {
        assertError(await post(app.url), 500, "internal");
      } finally {
        console.error = quiet;
        await app.close();
      }
    });
  } finally {
    await detector.close();
  }
});

Deno.test("CORS: off by default, on for the configured origins", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const preflight = (url: string, origin: string) =>
    call(url, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
  try {
    await t.step("without CORS_ORIGINS no response allows another origin", async () => {
      const app = serveApp(detector);
      try {
        const r = await call(`${app.url}/api/v1/model`, {
          headers: { Origin: "https://a.example" },
        });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("Access-Control-Allow-Origin"), null);
        const p = await preflight(`${app.url}/api/v1/detect`, "https://a.example");
        assert.equal(p.headers.get("Access-Control-Allow-Origin"), null);
      } finally {
        await app.close();
      }
    });

    await t.step("a listed origin gets preflights, answers and errors allowed", async () => {
      const app = serveApp(detector, {
        CORS_ORIGINS: ["https://a.example", "http://localhost:5173"],
        API_KEYS: ["cors-test-key-123456"],
      });
      try {
        // The preflight carries no key and must not be refused for it.
        const p = await preflight(`${app.url}/api/v1/detect`, "https://a.example");
        assert.equal(p.status, 204);
        assert.equal(p.headers.get("Access-Control-Allow-Origin"), "https://a.example");
        assert.match(p.headers.get("Access-Control-Allow-Methods")!, /POST/);
        assert.match(p.headers.get("Access-Control-Allow-Headers")!, /Authorization/);
        assert.match(p.headers.get("Vary") ?? "", /Origin/);
        const ok = await call(`${app.url}/api/v1/detect`, {
          method: "POST",
          body: BUS,
          headers: {
            ...JPEG,
            Origin: "https://a.example",
            Authorization: "Bearer cors-test-key-123456",
          },
        });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.headers.get("Access-Control-Allow-Origin"), "https://a.example");
        assert.match(ok.headers.get("Access-Control-Expose-Headers")!, /Server-Timing/);
        const denied = await call(`${app.url}/api/v1/model`, {
          headers: { Origin: "https://a.example" },
        });
        assertError(denied, 401, "unauthorized");
        assert.equal(denied.headers.get("Access-Control-Allow-Origin"), "https://a.example");
        const compat = await preflight(`${app.url}/v1/vision/detection`, "http://localhost:5173");
        assert.equal(compat.headers.get("Access-Control-Allow-Origin"), "http://localhost:5173");
        const other = await preflight(`${app.url}/api/v1/detect`, "https://evil.example");
        assert.equal(other.headers.get("Access-Control-Allow-Origin"), null);
      } finally {
        await app.close();
      }
    });

    await t.step("* allows any origin", async () => {
      const app = serveApp(detector, { CORS_ORIGINS: ["*"] });
      try {
        const r = await call(`${app.url}/openapi.json`, {
          headers: { Origin: "https://b.example" },
        });
        assert.equal(r.headers.get("Access-Control-Allow-Origin"), "*");
      } finally {
        await app.close();
      }
    });
  } finally {
    await detector.close();
  }
});
