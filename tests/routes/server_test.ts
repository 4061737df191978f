import assert from "node:assert/strict";
import {
  bus,
  encoded,
  withComponents,
  withSize,
  withSofMarker,
} from "../inference/_jpeg_fixtures.ts";
import { imageForm, startTestServer, withComment } from "./_server.ts";

const BUS = bus();

async function post(url: string, body: BodyInit, headers: HeadersInit = {}) {
  const res = await fetch(`${url}/detect`, { method: "POST", body, headers });
  const text = await res.text();
  return { res, text, json: () => JSON.parse(text) };
}

async function assertGoodRequest(url: string) {
  const { res, text } = await post(url, imageForm(BUS));
  assert.equal(res.status, 200, text);
  assert.match(text, /<rect /);
}

Deno.test({
  name: "server refuses hostile uploads with precise statuses and keeps serving",
  async fn(t) {
    const server = await startTestServer();
    const cases: [string, () => Uint8Array | Promise<Uint8Array>, number, string][] = [
      ["declared 30000x30000", () => withSize(BUS, 30000, 30000), 413, "too_many_pixels"],
      ["declared 65500x65500", () => withSize(BUS, 65500, 65500), 413, "too_many_pixels"],
      ["0x0", () => withSize(BUS, 0, 0), 422, "zero_dimensions"],
      ["truncated mid-scan", () => BUS.subarray(0, BUS.length >> 1), 422, "corrupt_jpeg"],
      ["truncated in the headers", () => BUS.subarray(0, 300), 422, "corrupt_jpeg"],
      ["CMYK (4 components)", () => withComponents(BUS, 4), 415, "unsupported_jpeg"],
      ["arithmetic-coded (SOF9)", () => withSofMarker(BUS, 0xc9), 415, "unsupported_jpeg"],
      ["plain text", () => new TextEncoder().encode("hello, I am not a photo"), 415, "not_image"],
      [
        "a PNG cut short",
        () => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
        422,
        "corrupt_image",
      ],
    ];
    try {
      for (const [name, make, status, code] of cases) {
        await t.step(`${name}: ${status} ${code}`, async () => {
          const { res, json } = await post(server.url, imageForm(await make()));
          assert.equal(res.status, status);
          assert.equal(json().error.code, code);
          assert.match(json().error.message, /\S/);
        });
      }
      await t.step("the page gets an HTML fragment for the same error", async () => {
        const { res, text } = await post(server.url, imageForm(withSize(BUS, 65500, 65500)), {
          "HX-Request": "true",
        });
        assert.equal(res.status, 413);
        assert.match(res.headers.get("content-type")!, /text\/html/);
        assert.match(text, /data-error-code="too_many_pixels"/);
      });
      await t.step("an empty file and a missing field are 400", async () => {
        assert.equal(
          (await post(server.url, imageForm(new Uint8Array()))).json().error.code,
          "empty_input",
        );
        const other = await post(server.url, imageForm(BUS, "photo"));
        assert.equal(other.res.status, 400);
        assert.equal(other.json().error.code, "missing_field");
      });
      await t.step("a progressive JPEG is accepted", async () => {
        const progressive = await encoded(64, 48, { progressive: true });
        const { res } = await post(server.url, imageForm(progressive));
        assert.equal(res.status, 200);
      });
      await t.step(
        "a good request still succeeds after all of them",
        () => assertGoodRequest(server.url),
      );
    } finally {
      await server.close();
    }
  },
});

Deno.test("server enforces the body limit on plain and chunked uploads", async (t) => {
  const server = await startTestServer({ MAX_BODY_BYTES: 64 * 1024 });
  try {
    await t.step("Content-Length over the limit: 413", async () => {
      const { res, json } = await post(server.url, imageForm(BUS));
      assert.equal(res.status, 413);
      assert.equal(json().error.code, "body_too_large");
    });
    await t.step("chunked, no Content-Length, over the limit: 413", async () => {
      const form = new Response(imageForm(BUS));
      const type = form.headers.get("content-type")!;
      const bytes = new Uint8Array(await form.arrayBuffer());
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 16 * 1024) {
            controller.enqueue(bytes.subarray(i, i + 16 * 1024));
          }
          controller.close();
        },
      });
      const res = await fetch(`${server.url}/detect`, {
        method: "POST",
        body: stream,
        headers: { "content-type": type },
        duplex: "half",
      } as RequestInit);
      assert.equal(res.status, 413);
      assert.equal((await res.json()).error.code, "body_too_large");
    });
    await t.step("under the limit still works", async () => {
      const small = await encoded(96, 96);
      const { res } = await post(server.url, imageForm(small));
      assert.equal(res.status, 200);
    });
  } finally {
    await server.close();
  }
});

Deno.test("server rate-limits per client with a controlled clock", async () => {
  let clock = 1_000_000;
  const server = await startTestServer({ RATE_LIMIT_RATE: 1, RATE_LIMIT_BURST: 2 }, {
    now: () => clock,
  });
  try {
    const statuses = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = (await post(server.url, imageForm(BUS))).res;
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(last!.headers.get("retry-after"), "1");
    assert.match(last!.headers.get("ratelimit-policy")!, /q=2;w=2/);
    assert.match(last!.headers.get("ratelimit")!, /r=0/);
    clock += 1000;
    assert.equal((await post(server.url, imageForm(BUS))).res.status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /nothotdog_rate_limited_total 1/);
  } finally {
    await server.close();
  }
});

Deno.test("server sheds a burst with 503 + Retry-After and serves the rest", async (t) => {
  await t.step("queue bound: arrivals beyond it are refused at once", async () => {
    const server = await startTestServer({ QUEUE_MAX: 2, RATE_LIMIT_BURST: 100 });
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, () => post(server.url, imageForm(BUS))),
      );
      const statuses = results.map((r) => r.res.status);
      assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
      assert.ok(statuses.filter((s) => s === 200).length >= 3, String(statuses));
      const shed = results.filter((r) => r.res.status === 503);
      assert.ok(shed.length >= 1, String(statuses));
      for (const r of shed) {
        assert.ok(Number(r.res.headers.get("retry-after")) >= 1);
        assert.equal(r.json().error.code, "overloaded");
      }
      await assertGoodRequest(server.url);
    } finally {
      await server.close();
    }
  });
  await t.step("CoDel: requests that waited past target for an interval are shed", async () => {
    const server = await startTestServer({
      QUEUE_MAX: 100,
      QUEUE_TARGET_MS: 5,
      QUEUE_INTERVAL_MS: 20,
      RATE_LIMIT_BURST: 100,
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 16 }, () => post(server.url, imageForm(BUS))),
      );
      const statuses = results.map((r) => r.res.status);
      assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
      assert.ok(statuses.includes(503), String(statuses));
      assert.ok(statuses.includes(200), String(statuses));
      const waited = results.find((r) => r.res.status === 503)!.json().error.message;
      assert.match(waited, /waited \d+ ms|already waiting/);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a crashed or hung worker fails only its own request and is replaced", async (t) => {
  const server = await startTestServer({ RATE_LIMIT_BURST: 100 }, {
    workers: 2,
    jobTimeoutMs: 3000,
    workerUrl: new URL("./_faulty_worker.ts", import.meta.url),
  });
  try {
    await t.step("crash: 503 for that request, the concurrent good one succeeds", async () => {
      const [crashed, good] = await Promise.all([
        post(server.url, imageForm(withComment(BUS, "FAULT:CRASH"))),
        post(server.url, imageForm(BUS)),
      ]);
      assert.equal(crashed.res.status, 503);
      assert.equal(crashed.json().error.code, "unavailable");
      assert.match(crashed.json().error.message, /worker crashed/);
      assert.equal(good.res.status, 200);
    });
    await t.step("hang: 503 after the deadline, worker replaced", async () => {
      const hung = await post(server.url, imageForm(withComment(BUS, "FAULT:HANG")));
      assert.equal(hung.res.status, 503);
      assert.equal(hung.json().error.code, "timeout");
    });
    await t.step("both workers come back and serve", async () => {
      // Wide: a replacement warms every frame shape first, slow on a loaded machine.
      for (let i = 0; i < 300 && !server.inference.ready(); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(server.inference.stats().restarts, 2);
      assert.equal(server.inference.stats().ready, 2);
      const results = await Promise.all([0, 1, 2].map(() => post(server.url, imageForm(BUS))));
      assert.deepEqual(results.map((r) => r.res.status), [200, 200, 200]);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /nothotdog_worker_restarts_total 2/);
      assert.match(metrics, /nothotdog_worker_wasm_memory_bytes\{worker="0"\} [1-9]/);
    });
  } finally {
    await server.close();
  }
});

Deno.test("ops routes: healthz always, readyz only when warm, metrics in Prometheus text", async () => {
  const server = await startTestServer();
  try {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    await assertGoodRequest(server.url);
    const res = await fetch(`${server.url}/metrics`);
    assert.match(res.headers.get("content-type")!, /text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(
      text,
      /nothotdog_http_requests_total\{route="\/detect",method="POST",status="200"\} 1/,
    );
    assert.match(text, /nothotdog_stage_duration_seconds_count\{stage="infer"\} 1/);
    assert.match(text, /nothotdog_queue_sojourn_seconds_count 1/);
    assert.match(text, /# TYPE nothotdog_queue_length gauge/);
    await server.inference.close();
    const closed = await fetch(`${server.url}/readyz`);
    assert.equal(closed.status, 503);
    await closed.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("every detection response carries Server-Timing and a request id", async () => {
  const server = await startTestServer();
  try {
    const { res } = await post(server.url, imageForm(BUS), { "X-Request-Id": "abc-123" });
    assert.equal(res.headers.get("x-request-id"), "abc-123");
    const timing = res.headers.get("server-timing")!;
    for (const stage of ["queue", "decode", "preprocess", "infer", "postprocess", "total"]) {
      assert.match(timing, new RegExp(`${stage};dur=\\d+\\.\\d`));
    }
    const forged = await post(server.url, imageForm(BUS), {
      "X-Request-Id": "bad id <script>",
    });
    assert.match(forged.res.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  } finally {
    await server.close();
  }
});
