/** Tests for the per-client token buckets, the rateLimit middleware and clientKey. */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { AppError } from "../../inference/errors.ts";
import { errorStatus } from "../../routes/error_status.ts";
import { clientKey, normalizeAddress, rateLimit, TokenBuckets } from "../../routes/rate_limit.ts";

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A tiny app that renders AppError like the real error handler will: JSON + Retry-After. */
function appWith(...middleware: Parameters<Hono["use"]>[1][]) {
  const app = new Hono();
  app.onError((err, c) => {
    if (!(err instanceof AppError)) return c.json({ error: { message: err.message } }, 500);
    if (err.retryAfter !== undefined) c.header("Retry-After", String(err.retryAfter));
    return c.json(err.toJSON(), errorStatus(err.code) as 429);
  });
  for (const m of middleware) app.use(m);
  app.get("/", (c) => c.text("ok"));
  app.get("/raw", () => new Response("raw"));
  return app;
}

Deno.test("TokenBuckets allows a burst, then denies until a token refills", () => {
  const t = clock();
  const buckets = new TokenBuckets({ rate: 2, burst: 3, now: t.now });
  const first = buckets.take("a");
  assert.deepEqual(first, { allowed: true, remaining: 2, resetSeconds: 1, retryAfterSeconds: 0 });
  assert.equal(buckets.take("a").remaining, 1);
  assert.equal(buckets.take("a").remaining, 0);
  const denied = buckets.take("a");
  assert.equal(denied.allowed, false);
  assert.equal(denied.remaining, 0);
  // One token takes 500 ms at 2/s; Retry-After rounds up to whole seconds.
  assert.equal(denied.retryAfterSeconds, 1);
  assert.equal(denied.resetSeconds, 2); // 1.5 s until full
  t.advance(499);
  assert.equal(buckets.take("a").allowed, false);
  t.advance(1);
  assert.equal(buckets.take("a").allowed, true);
  assert.equal(buckets.take("a").allowed, false);
});

Deno.test("TokenBuckets keeps clients independent", () => {
  const t = clock();
  const buckets = new TokenBuckets({ rate: 1, burst: 1, now: t.now });
  assert.equal(buckets.take("a").allowed, true);
  assert.equal(buckets.take("a").allowed, false);
  assert.equal(buckets.take("b").allowed, true);
});

Deno.test("TokenBuckets refills at the configured rate and never above burst", async (t) => {
  await t.step("a slow rate gives a Retry-After of several seconds", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 0.2, burst: 1, now: c.now });
    assert.equal(buckets.take("a").allowed, true);
    assert.equal(buckets.take("a").retryAfterSeconds, 5);
    c.advance(2_000);
    assert.equal(buckets.take("a").retryAfterSeconds, 3);
    c.advance(3_000);
    assert.equal(buckets.take("a").allowed, true);
  });
  await t.step("denied requests do not push the refill further away", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 1, burst: 1, now: c.now });
    buckets.take("a");
    for (let i = 0; i < 10; i++) buckets.take("a");
    c.advance(1_000);
    assert.equal(buckets.take("a").allowed, true);
  });
  await t.step("a long idle period refills only up to burst", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 10, burst: 5, now: c.now });
    buckets.take("a");
    c.advance(3_600_000);
    const results = Array.from({ length: 6 }, () => buckets.take("a").allowed);
    assert.deepEqual(results, [true, true, true, true, true, false]);
  });
  await t.step("fractional rates do not lose a token to rounding", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 3, burst: 3, now: c.now });
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a").allowed), [true, true, true, false]);
    c.advance(1_000);
    assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a").allowed), [true, true, true, false]);
  });
});

Deno.test("TokenBuckets reclaims idle clients without timers", async (t) => {
  await t.step("a bucket that has refilled is forgotten when touched", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 1, burst: 2, now: c.now });
    buckets.take("a");
    assert.equal(buckets.size, 1);
    c.advance(1_000);
    // Full again: the sweep on this call removes it before it is looked up.
    assert.equal(buckets.take("b").allowed, true);
    assert.equal(buckets.size, 1);
  });
  await t.step("each call sweeps a bounded number of idle buckets", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 1, burst: 1, now: c.now, sweepPerCall: 2 });
    for (let i = 0; i < 10; i++) buckets.take(`idle-${i}`);
    assert.equal(buckets.size, 10);
    c.advance(1_000);
    buckets.take("active");
    assert.equal(buckets.size, 9); // two swept, one added
    for (let i = 0; i < 4; i++) buckets.take("active");
    assert.equal(buckets.size, 1);
  });
  await t.step("the sweep stops at a bucket still refilling", () => {
    const c = clock();
    const buckets = new TokenBuckets({ rate: 1, burst: 1, now: c.now, sweepPerCall: 100 });
    buckets.take("busy");
    c.advance(500);
    buckets.take("later");
    c.advance(600); // "busy" is full, "later" still refilling
    buckets.take("x");
    assert.equal(buckets.size, 2);
  });
});

Deno.test("TokenBuckets evicts the least recently seen client past maxClients", () => {
  const c = clock();
  const buckets = new TokenBuckets({ rate: 1, burst: 1, now: c.now, maxClients: 3 });
  buckets.take("a");
  buckets.take("b");
  buckets.take("c");
  buckets.take("a"); // denied, but "a" is now the most recently seen
  buckets.take("d");
  assert.equal(buckets.size, 3);
  assert.equal(buckets.take("b").allowed, true, "b was evicted and starts with a full bucket");
  assert.equal(buckets.take("a").allowed, false, "a was kept");
  for (let i = 0; i < 1_000; i++) buckets.take(`flood-${i}`);
  assert.equal(buckets.size, 3);
});

Deno.test("TokenBuckets rejects nonsense options", () => {
  assert.throws(
    () => new TokenBuckets({ rate: 0, burst: 1 }),
    /rate must be a positive number, got 0/,
  );
  assert.throws(() => new TokenBuckets({ rate: 1, burst: 0.5 }), /burst must be an integer/);
  assert.throws(() => new TokenBuckets({ rate: 1, burst: 1, maxClients: 0 }), /maxClients/);
});

Deno.test("rateLimit() sets RateLimit headers and answers 429 with Retry-After", async (t) => {
  const c = clock();
  const app = appWith(rateLimit({ rate: 2, burst: 10, now: c.now, key: () => "k" }));

  await t.step("allowed responses carry the policy and the remaining quota", async () => {
    const res = await app.request("/");
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    assert.equal(res.headers.get("RateLimit-Policy"), '"default";q=10;w=5');
    assert.equal(res.headers.get("RateLimit"), '"default";r=9;t=1');
    assert.equal(res.headers.get("Retry-After"), null);
  });

  await t.step("a handler's own Response keeps the headers", async () => {
    const res = await app.request("/raw");
    assert.equal(await res.text(), "raw");
    assert.equal(res.headers.get("RateLimit"), '"default";r=8;t=1');
  });

  await t.step("the request past the burst gets 429 with the headers", async () => {
    for (let i = 0; i < 8; i++) await (await app.request("/")).body?.cancel();
    const res = await app.request("/");
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("Retry-After"), "1");
    assert.equal(res.headers.get("RateLimit-Policy"), '"default";q=10;w=5');
    assert.equal(res.headers.get("RateLimit"), '"default";r=0;t=5');
    assert.deepEqual(await res.json(), {
      error: {
        code: "rate_limited",
        message: "Too many requests from this client: limit is 2/s with burst 10; retry in 1 s",
      },
    });
  });

  await t.step("the client is served again after a token refills", async () => {
    c.advance(500);
    const res = await app.request("/");
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

Deno.test("clientKey() keys by the TCP peer and ignores X-Forwarded-For unless trusted", async (t) => {
  const app = new Hono();
  const direct = clientKey({ trustProxy: false });
  const proxied = clientKey({ trustProxy: true });
  app.get("/direct", (c) => c.text(direct(c)));
  app.get("/proxied", (c) => c.text(proxied(c)));
  const env = { remoteAddr: { hostname: "10.0.0.7", port: 5555, transport: "tcp" } };
  const xff = { "X-Forwarded-For": "6.6.6.6, 203.0.113.9" };

  await t.step("the remote address from Deno.serve's info", async () => {
    assert.equal(await (await app.request("/direct", {}, env)).text(), "10.0.0.7");
  });
  await t.step("'unknown' when there is no connection info", async () => {
    assert.equal(await (await app.request("/direct")).text(), "unknown");
  });
  await t.step("X-Forwarded-For is ignored without trustProxy", async () => {
    const res = await app.request("/direct", { headers: xff }, env);
    assert.equal(await res.text(), "10.0.0.7");
  });
  await t.step("with trustProxy, the last hop (added by the proxy) is used", async () => {
    const res = await app.request("/proxied", { headers: xff }, env);
    assert.equal(await res.text(), "203.0.113.9");
  });
  await t.step("with trustProxy but no header, the peer is used", async () => {
    assert.equal(await (await app.request("/proxied", {}, env)).text(), "10.0.0.7");
  });
  await t.step("a spoofed first entry does not give a new bucket", async () => {
    const c = clock();
    const limited = appWith(rateLimit({ rate: 1, burst: 1, now: c.now, key: proxied }));
    const send = (spoof: string) =>
      limited.request("/", { headers: { "X-Forwarded-For": `${spoof}, 198.51.100.1` } }, env);
    assert.equal((await send("1.1.1.1")).status, 200);
    assert.equal((await send("2.2.2.2")).status, 429);
  });
});

Deno.test("clientKey() works over real HTTP with Deno.serve", async () => {
  const app = new Hono();
  const key = clientKey({ trustProxy: false });
  app.get("/", (c) => c.text(key(c)));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
      headers: { "X-Forwarded-For": "6.6.6.6" },
    });
    assert.equal(await res.text(), "127.0.0.1");
  } finally {
    await server.shutdown();
  }
});

Deno.test("normalizeAddress() groups IPv6 by /64 and unwraps IPv4-mapped addresses", () => {
  assert.equal(normalizeAddress("192.0.2.1"), "192.0.2.1");
  assert.equal(normalizeAddress("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(normalizeAddress("2001:DB8:1:2:ffff:0:0:9"), "2001:db8:1:2::/64");
  assert.equal(normalizeAddress("[2001:db8::1]"), "2001:db8:0:0::/64");
  assert.equal(normalizeAddress("::1"), "0:0:0:0::/64");
  assert.equal(normalizeAddress("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(normalizeAddress("fe80::1%eth0"), "fe80:0:0:0::/64");
});

Deno.test("normalizeAddress() gives every spelling of one address one key", async (t) => {
  const same: [string, string[]][] = [
    ["203.0.113.7", ["203.0.113.7:5678", "203.0.113.7:1", " 203.0.113.7 ", "203.000.113.007"]],
    ["127.0.0.1", [
      "127.000.000.001",
      "0177.0.0.1",
      "0x7f.0.0.1",
      "0x7f.1",
      "2130706433",
      "::ffff:127.0.0.1",
      "::FFFF:7F00:1",
      "[::ffff:127.0.0.1]:8080",
      "0:0:0:0:0:ffff:7f00:0001",
    ]],
    ["2001:db8:0:0::/64", [
      "2001:db8::1",
      "[2001:db8::1]:443",
      "2001:0DB8:0000:0000:0000:0000:0000:0001",
      "[2001:db8::abcd]",
    ]],
  ];
  for (const [key, spellings] of same) {
    await t.step(`${spellings.length} spellings of ${key}`, () => {
      for (const s of spellings) assert.equal(normalizeAddress(s), key, s);
    });
  }
  await t.step("anything that is not an IP address is undefined", () => {
    for (const s of ["unknown", "not:an:address::x", "1.2.3.4.5", "_hidden", "", "[::1", "a b"]) {
      assert.equal(normalizeAddress(s), undefined, s);
    }
  });
});
