/** Issue 11's attacks, each against the real service over loopback, with inputs made here. */
import assert from "node:assert/strict";
import { encoded, scanBomb } from "../inference/_jpeg_fixtures.ts";
import { rawExchange, uploadHead } from "./_raw.ts";
import { imageForm, startTestServer } from "./_server.ts";

const BUS = await Deno.readFile("tests/data/images/bus.jpg");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function post(url: string, bytes: Uint8Array, headers: Record<string, string> = {}) {
  const t0 = performance.now();
  const res = await fetch(`${url}/detect`, { method: "POST", body: imageForm(bytes), headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - t0 };
}

Deno.test({
  name: "the service refuses scan bombs before decoding and keeps serving",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const server = await startTestServer({ RATE_LIMIT_RATE: 1000, RATE_LIMIT_BURST: 1000 });
    try {
      // A 4096x4096 progressive JPEG with its last scan repeated: 20,000 scans in well under
      // 5 MB, which cost ~50 s of decoding before the probe walked the scans.
      const source = await encoded(4096, 4096, { progressive: true, smooth: true });
      const bomb = scanBomb(source, 20_000);
      await t.step(
        `bombs of ${(bomb.length / 1e6).toFixed(2)} MB are 4xx at p50 <= 0.5 s`,
        async () => {
          const times: number[] = [];
          for (let i = 0; i < 6; i++) {
            const r = await post(server.url, bomb);
            assert.equal(r.status, 422, r.text);
            assert.match(JSON.parse(r.text).error.message, /a repeated scan/);
            times.push(r.ms);
          }
          console.log(`  scan bomb refused: p50 ${median(times).toFixed(0)} ms`);
          assert.ok(median(times) <= 500, `p50 ${median(times)} ms`);
        },
      );
      await t.step("no worker was replaced and a normal photo still detects", async () => {
        assert.equal(server.inference.stats().restarts, 0);
        const r = await post(server.url, BUS);
        assert.equal(r.status, 200, r.text);
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "stalled and dripped uploads are answered 408 with Connection: close",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const server = await startTestServer({
      BODY_IDLE_TIMEOUT_MS: 600,
      BODY_TIMEOUT_MS: 2_500,
      RATE_LIMIT_RATE: 1000,
      RATE_LIMIT_BURST: 1000,
    });
    try {
      await t.step(
        "an upload that stops sending is 408 after the idle time",
        async () => {
          const ex = await rawExchange(server.port, uploadHead("/api/v1/detect", 1_000_000));
          await ex.send(BUS.subarray(0, 200_000));
          const res = await ex.response;
          assert.equal(res.status, 408);
          assert.equal(JSON.parse(res.body).error.code, "body_timeout");
          assert.match(JSON.parse(res.body).error.message, /nothing arrived for 600 ms/);
          assert.equal(res.headers.get("connection"), "close");
          assert.ok(res.ms >= 500 && res.ms < 5_000, `${res.ms} ms`);
          // Deno.serve keeps a connection whose body is unread open until the client closes it
          // (README, "Limits"): what it held is released, and the client was told to close.
          ex.close();
        },
      );
      await t.step("an upload that drips a byte at a time hits the total limit", async () => {
        const ex = await rawExchange(server.port, uploadHead("/api/v1/detect", 1_000_000));
        const drip = (async () => {
          for (let i = 0; i < 100; i++) {
            if (!await ex.send(BUS.subarray(i, i + 1))) return;
            await new Promise((r) => setTimeout(r, 300));
          }
        })();
        const res = await ex.response;
        assert.equal(res.status, 408);
        assert.match(JSON.parse(res.body).error.message, /took too long/);
        assert.ok(res.ms >= 2_000 && res.ms < 6_000, `${res.ms} ms`);
        ex.close();
        await drip;
      });
      await t.step("after both, the service answers normally", async () => {
        assert.equal((await post(server.url, BUS)).status, 200);
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "bodies being received are counted against a byte budget, per client and in all",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const MB = 1024 * 1024;
    const server = await startTestServer({
      TRUST_PROXY: true,
      MAX_BODY_BYTES: MB,
      BODY_BUDGET_BYTES: 4 * MB,
      BODY_IDLE_TIMEOUT_MS: 20_000,
      RATE_LIMIT_RATE: 1000,
      RATE_LIMIT_BURST: 1000,
    });
    const open: Awaited<ReturnType<typeof rawExchange>>[] = [];
    const stall = async (client: string) => {
      const ex = await rawExchange(
        server.port,
        uploadHead("/api/v1/detect", MB, { "X-Forwarded-For": client }),
      );
      await ex.send(new Uint8Array(1000));
      open.push(ex);
      return ex;
    };
    try {
      await t.step(
        "one client holds at most a quarter: its next upload is 503 unread",
        async () => {
          const first = await stall("198.51.100.1");
          // Let the server admit it before the next arrives.
          await new Promise((r) => setTimeout(r, 200));
          const second = await stall("198.51.100.1");
          const res = await second.response;
          assert.equal(res.status, 503);
          assert.equal(res.headers.get("retry-after"), "1");
          assert.equal(res.headers.get("connection"), "close");
          assert.match(JSON.parse(res.body).error.message, /from this client/);
          // The first is still being waited for.
          assert.equal(
            await Promise.race([first.response.then(() => "answered"), "waiting"]),
            "waiting",
          );
        },
      );
      await t.step(
        "when the whole budget is held, any new upload is 503 before reading",
        async () => {
          for (const c of ["198.51.100.2", "198.51.100.3", "198.51.100.4"]) await stall(c);
          await new Promise((r) => setTimeout(r, 200));
          const t0 = performance.now();
          const r = await post(server.url, BUS, { "X-Forwarded-For": "203.0.113.50" });
          assert.equal(r.status, 503, r.text);
          assert.match(JSON.parse(r.text).error.message, /receiving too many uploads/);
          assert.ok(performance.now() - t0 < 2_000);
        },
      );
      await t.step("once the stalled uploads are gone, the budget is free again", async () => {
        for (const ex of open) ex.close();
        await new Promise((r) => setTimeout(r, 300));
        const r = await post(server.url, BUS, { "X-Forwarded-For": "203.0.113.50" });
        assert.equal(r.status, 200, r.text);
      });
    } finally {
      for (const ex of open) ex.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "bad Host headers, odd methods and every response: the small things",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const lines: string[] = [];
    let detections = 0;
    const server = await startTestServer({ RATE_LIMIT_RATE: 1000, RATE_LIMIT_BURST: 1000 }, {
      log: (line) => lines.push(line),
    });
    // Every image that reaches inference is probed first.
    server.inference.attach({ probed: () => void detections++ });
    try {
      await t.step("Host: a b is 400 JSON, one JSON log line, no detection", async () => {
        for (const host of ["a b", "x:99999", "[::1"]) {
          lines.length = 0;
          const body = "x".repeat(100);
          const ex = await rawExchange(
            server.port,
            `POST /api/v1/detect HTTP/1.1\r\nHost: ${host}\r\nContent-Type: image/jpeg\r\n` +
              `Content-Length: ${body.length}\r\n\r\n${body}`,
          );
          const res = await ex.response;
          ex.close();
          assert.equal(res.status, 400, host);
          assert.deepEqual(JSON.parse(res.body), {
            error: {
              code: "bad_request",
              message: "Bad request: the Host header or the URL is not valid",
            },
          });
          assert.equal(res.headers.get("x-content-type-options"), "nosniff");
          assert.equal(lines.length, 1, lines.join("\n"));
          const log = JSON.parse(lines[0]);
          assert.equal(log.status, 400);
          assert.equal(log.path, "/api/v1/detect");
          assert.equal(log.error, "bad_request");
        }
        assert.equal(detections, 0);
      });
      await t.step("3,000 odd methods leave /metrics as it was", async () => {
        const size = async () => (await (await fetch(`${server.url}/metrics`)).text()).length;
        const odd = (i: number) => `X${i}${"M".repeat(2000)}`;
        // Warm the label set with the first odd method, then measure.
        const ex0 = await rawExchange(server.port, `${odd(0)} / HTTP/1.1\r\nHost: x\r\n\r\n`);
        await ex0.response;
        ex0.close();
        // Twice: the first scrape adds /metrics's own series to the second.
        await size();
        const before = await size();
        for (let i = 1; i <= 3000; i += 50) {
          await Promise.all(Array.from({ length: 50 }, async (_, k) => {
            const ex = await rawExchange(
              server.port,
              `${odd(i + k)} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
            );
            await ex.response;
            ex.close();
          }));
        }
        const after = await size();
        const text = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(text, /method="other"/);
        assert.ok(!text.includes("MMMM"), "a raw method reached the labels");
        // Only counters' values grow, by a few digits.
        assert.ok(after - before < 200, `/metrics grew from ${before} to ${after} bytes`);
      });
      await t.step("X-Content-Type-Options: nosniff on every kind of response", async () => {
        const paths = ["/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/nowhere"];
        for (const path of paths) {
          const res = await fetch(`${server.url}${path}`);
          await res.body?.cancel();
          assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
        }
        for (const [bytes, status] of [[BUS, 200], [new Uint8Array([1, 2, 3]), 415]] as const) {
          const r = await post(server.url, bytes);
          assert.equal(r.status, status);
          assert.equal(r.headers.get("x-content-type-options"), "nosniff");
        }
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "one client is one bucket however its address is spelt, with TRUST_PROXY on and off",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await t.step(
      "behind a proxy: ports, zero-padding, octal and IPv4-mapped spellings",
      async () => {
        const server = await startTestServer({
          TRUST_PROXY: true,
          RATE_LIMIT_RATE: 0.01,
          RATE_LIMIT_BURST: 3,
        });
        try {
          const spellings = [
            "203.0.113.7:40001",
            "203.0.113.7:40002",
            "203.000.113.007",
            "::ffff:203.0.113.7",
            "[::ffff:cb00:7107]:443",
          ];
          const statuses: number[] = [];
          for (const xff of spellings) {
            statuses.push((await post(server.url, BUS, { "X-Forwarded-For": xff })).status);
          }
          assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
          // Another client is not affected.
          const other = await post(server.url, BUS, { "X-Forwarded-For": "203.0.113.8" });
          assert.equal(other.status, 200);
        } finally {
          await server.close();
        }
      },
    );
    await t.step("direct: the TCP peer, spoofed X-Forwarded-For ignored", async () => {
      const server = await startTestServer({ RATE_LIMIT_RATE: 0.01, RATE_LIMIT_BURST: 2 });
      try {
        const statuses: number[] = [];
        for (const xff of ["1.1.1.1", "2.2.2.2:80", "3.3.3.3"]) {
          statuses.push((await post(server.url, BUS, { "X-Forwarded-For": xff })).status);
        }
        assert.deepEqual(statuses, [200, 200, 429]);
      } finally {
        await server.close();
      }
    });
  },
});
