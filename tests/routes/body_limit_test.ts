/** Tests for bodyLimit and readBodyLimited, in-process and over real HTTP on loopback. */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { AppError } from "../../inference/errors.ts";
import { bodyLimit, contentLength, readBodyLimited } from "../../routes/body_limit.ts";
import { errorStatus } from "../../routes/error_status.ts";

const LIMIT = 1024;

/** The app under test, with a minimal AppError renderer and a count of handler runs. */
function makeApp() {
  const app = new Hono();
  const ran: string[] = [];
  app.onError((err, c) => {
    if (!(err instanceof AppError)) return c.json({ error: { message: err.message } }, 500);
    return c.json(err.toJSON(), errorStatus(err.code) as 413);
  });
  app.use("/limited/*", bodyLimit({ maxBytes: LIMIT }));
  app.post("/limited/bytes", async (c) => {
    ran.push("bytes");
    return c.json({ bytes: (await c.req.arrayBuffer()).byteLength });
  });
  app.post("/limited/text", async (c) => {
    ran.push("text");
    return c.json({ bytes: (await c.req.text()).length });
  });
  app.post("/limited/form", async (c) => {
    ran.push("form");
    const form = await c.req.parseBody();
    const file = form["file"];
    return c.json({ bytes: file instanceof File ? file.size : -1 });
  });
  app.post("/limited/raw", async (c) => {
    ran.push("raw");
    return c.json({ bytes: (await c.req.raw.arrayBuffer()).byteLength });
  });
  app.post("/limited/clone", async (c) => {
    ran.push("clone");
    return c.json({ bytes: (await c.req.raw.clone().arrayBuffer()).byteLength });
  });
  app.post("/limited/swallow", async (c) => {
    ran.push("swallow");
    try {
      await c.req.arrayBuffer();
    } catch {
      // A careless handler hiding the read error.
    }
    return c.text("fine");
  });
  app.post("/limited/helper", async (c) => {
    ran.push("helper");
    return c.json({ bytes: (await readBodyLimited(c.req.raw, LIMIT)).byteLength });
  });
  app.post("/limited/ignore", (c) => {
    ran.push("ignore");
    return c.text("did not read");
  });
  app.post("/helper", async (c) => {
    ran.push("helper-only");
    return c.json({ bytes: (await readBodyLimited(c.req.raw, LIMIT)).byteLength });
  });
  app.post("/misordered/*", async (c, next) => {
    await c.req.text();
    await next();
  });
  app.use("/misordered/*", bodyLimit({ maxBytes: LIMIT }));
  app.post("/misordered/bytes", (c) => c.text("unreachable"));
  app.get("/health", (c) => c.text("ok"));
  return { app, ran };
}

/** A body that streams `total` bytes in `chunk`-sized pieces (no Content-Length on the wire). */
function streamOf(total: number, chunk = 256): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(120));
    },
  });
}

function multipart(size: number): { body: string; type: string } {
  const boundary = "----nothotdog-test";
  const body = [
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="a.jpg"',
    "Content-Type: image/jpeg",
    "",
    "x".repeat(size),
    `--${boundary}--`,
    "",
  ].join("\r\n");
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

async function errorOf(res: Response) {
  return { status: res.status, ...(await res.json()).error };
}

const TOO_LARGE = {
  status: 413,
  code: "body_too_large",
  message: "Request body is over the 1024-byte limit",
};

/** Starts the app on loopback for one test and always shuts it down. */
async function withServer(fn: (url: string, ran: string[]) => Promise<void>) {
  const { app, ran } = makeApp();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, ran);
  } finally {
    await server.shutdown();
  }
}

async function assertStillServing(url: string) {
  const res = await fetch(`${url}/health`);
  assert.equal(await res.text(), "ok");
}

/** Sends raw bytes over TCP and returns the first response (status line, headers, body). */
async function rawRequest(port: number, request: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    let text = "";
    const buf = new Uint8Array(16 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      const length = Number(/content-length: (\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (text.length >= end + 4 + length) break;
    }
    const [head, body] = text.split("\r\n\r\n");
    return { status: Number(head.split(" ")[1]), body };
  } finally {
    conn.close();
  }
}

Deno.test("bodyLimit() over HTTP rejects a Content-Length over the limit without running the handler", async () => {
  await withServer(async (url, ran) => {
    const res = await fetch(`${url}/limited/bytes`, {
      method: "POST",
      body: new Uint8Array(LIMIT + 1),
    });
    assert.deepEqual(await errorOf(res), TOO_LARGE);
    assert.deepEqual(ran, []);
    await assertStillServing(url);
  });
});

Deno.test("bodyLimit() over HTTP rejects a chunked upload past the limit", async (t) => {
  await withServer(async (url) => {
    for (const route of ["bytes", "text", "raw", "clone", "helper"]) {
      await t.step(`read via ${route}`, async () => {
        const res = await fetch(`${url}/limited/${route}`, {
          method: "POST",
          body: streamOf(8 * LIMIT),
          duplex: "half",
        } as RequestInit);
        assert.deepEqual(await errorOf(res), TOO_LARGE);
        await assertStillServing(url);
      });
    }
  });
});

Deno.test("bodyLimit() over HTTP accepts bodies up to the limit with the right byte count", async (t) => {
  await withServer(async (url) => {
    await t.step("with Content-Length", async () => {
      const res = await fetch(`${url}/limited/bytes`, {
        method: "POST",
        body: new Uint8Array(LIMIT),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { bytes: LIMIT });
    });
    await t.step("chunked, in odd-sized pieces", async () => {
      const res = await fetch(`${url}/limited/bytes`, {
        method: "POST",
        body: streamOf(LIMIT, 100),
        duplex: "half",
      } as RequestInit);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { bytes: LIMIT });
    });
    await t.step("through readBodyLimited", async () => {
      const res = await fetch(`${url}/limited/helper`, {
        method: "POST",
        body: streamOf(700, 64),
        duplex: "half",
      } as RequestInit);
      assert.deepEqual(await res.json(), { bytes: 700 });
    });
    await t.step("an empty body", async () => {
      const res = await fetch(`${url}/limited/bytes`, { method: "POST", body: "" });
      assert.deepEqual(await res.json(), { bytes: 0 });
    });
  });
});

Deno.test("bodyLimit() over HTTP limits multipart uploads", async (t) => {
  await withServer(async (url, ran) => {
    await t.step("under the limit parses", async () => {
      const form = new FormData();
      form.append("file", new File([new Uint8Array(500)], "a.jpg", { type: "image/jpeg" }));
      const res = await fetch(`${url}/limited/form`, { method: "POST", body: form });
      assert.deepEqual(await res.json(), { bytes: 500 });
    });
    await t.step("over the limit with Content-Length is rejected before reading", async () => {
      const form = new FormData();
      form.append("file", new File([new Uint8Array(4 * LIMIT)], "a.jpg", { type: "image/jpeg" }));
      ran.length = 0;
      const res = await fetch(`${url}/limited/form`, { method: "POST", body: form });
      assert.deepEqual(await errorOf(res), TOO_LARGE);
      assert.deepEqual(ran, []);
    });
    await t.step("over the limit and chunked is rejected while parsing", async () => {
      const { body, type } = multipart(4 * LIMIT);
      const res = await fetch(`${url}/limited/form`, {
        method: "POST",
        headers: { "content-type": type },
        body: ReadableStream.from([new TextEncoder().encode(body)]),
        duplex: "half",
      } as RequestInit);
      assert.deepEqual(await errorOf(res), TOO_LARGE);
    });
    await assertStillServing(url);
  });
});

Deno.test("bodyLimit() over HTTP is not fooled by a lying Content-Length", async (t) => {
  const { app, ran } = makeApp();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const port = server.addr.port;
  const url = `http://127.0.0.1:${port}`;
  try {
    await t.step(
      "declaring little and sending more: the server reads only what was declared",
      async () => {
        // Deno's HTTP/1.1 server frames the body by Content-Length; the surplus is not body.
        const res = await rawRequest(
          port,
          `POST /limited/bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n${
            "x".repeat(8 * LIMIT)
          }`,
        );
        assert.equal(res.status, 200);
        assert.deepEqual(JSON.parse(res.body), { bytes: 10 });
        await assertStillServing(url);
      },
    );
    await t.step("Content-Length next to Transfer-Encoding is refused by Deno itself", async () => {
      const chunk = "y".repeat(2 * LIMIT);
      const res = await rawRequest(
        port,
        `POST /limited/bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n${
          chunk.length.toString(16)
        }\r\n${chunk}\r\n0\r\n\r\n`,
      );
      assert.equal(res.status, 400);
      await assertStillServing(url);
    });
    await t.step("a non-numeric Content-Length is refused by Deno itself", async () => {
      const res = await rawRequest(
        port,
        `POST /limited/bytes HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n${
          "z".repeat(2 * LIMIT)
        }`,
      );
      assert.equal(res.status, 400);
      await assertStillServing(url);
    });
    await t.step(
      "declaring more than is sent: a client that hangs up gets 400, not 500",
      async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(
            new TextEncoder().encode(
              `POST /limited/bytes HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly this`,
            ),
          );
          await conn.closeWrite();
          let text = "";
          const buf = new Uint8Array(4096);
          for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
            text += new TextDecoder().decode(buf.subarray(0, n));
          }
          assert.match(text, /^HTTP\/1\.1 400 /);
          assert.match(text, /"code":"bad_request"/);
        } finally {
          conn.close();
        }
        await assertStillServing(url);
      },
    );
    assert.ok(ran.length > 0);
  } finally {
    await server.shutdown();
  }
});

// The same attacks in-process, as another adapter or a proxy in front might let them through.
Deno.test("bodyLimit() ignores headers that would let a large body through", async (t) => {
  const { app, ran } = makeApp();
  const post = (path: string, headers: Record<string, string>, size = 8 * LIMIT) =>
    app.request(path, {
      method: "POST",
      headers,
      body: streamOf(size),
      duplex: "half",
    } as RequestInit);

  await t.step("Content-Length with Transfer-Encoding: chunked (CVE-2025-59139)", async () => {
    const res = await post("/limited/bytes", {
      "content-length": "10",
      "transfer-encoding": "chunked",
    });
    assert.deepEqual(await errorOf(res), TOO_LARGE);
  });
  await t.step("a small Content-Length that lies", async () => {
    const res = await post("/limited/bytes", { "content-length": "10" });
    assert.deepEqual(await errorOf(res), TOO_LARGE);
  });
  for (const value of ["abc", "12abc", "-1", "+5", "1e9", "10, 10", ""]) {
    await t.step(`a malformed Content-Length ${JSON.stringify(value)}`, async () => {
      const res = await post("/limited/bytes", { "content-length": value });
      assert.deepEqual(await errorOf(res), TOO_LARGE);
    });
  }
  await t.step("reading c.req.raw directly instead of through HonoRequest", async () => {
    assert.deepEqual(await errorOf(await post("/limited/raw", {})), TOO_LARGE);
  });
  await t.step("reading a clone of c.req.raw", async () => {
    assert.deepEqual(await errorOf(await post("/limited/clone", {})), TOO_LARGE);
  });
  await t.step("parseBody() on a chunked multipart body", async () => {
    const { body, type } = multipart(4 * LIMIT);
    const res = await app.request("/limited/form", {
      method: "POST",
      headers: { "content-type": type },
      body: ReadableStream.from([new TextEncoder().encode(body)]),
      duplex: "half",
    } as RequestInit);
    assert.deepEqual(await errorOf(res), TOO_LARGE);
  });
  await t.step("a handler that swallows the read error still answers 413", async () => {
    assert.deepEqual(await errorOf(await post("/limited/swallow", {})), TOO_LARGE);
  });
  await t.step("a handler that never reads the body is not charged for it", async () => {
    const res = await post("/limited/ignore", {});
    assert.equal(await res.text(), "did not read");
  });
  await t.step("a body read before bodyLimit ran fails loudly instead of passing", async () => {
    const res = await post("/misordered/bytes", {}, 10);
    assert.equal(res.status, 500);
    assert.match(
      (await res.json()).error.message,
      /Cannot limit the request body of POST \/misordered\/bytes: it was read before bodyLimit ran/,
    );
  });
  assert.ok(ran.includes("swallow"));
});

Deno.test("readBodyLimited() reads into one buffer and enforces the limit", async (t) => {
  const request = (body: BodyInit | null, headers: Record<string, string> = {}) =>
    new Request("http://x/", { method: "POST", body, headers, duplex: "half" } as RequestInit);

  await t.step("returns the exact bytes", async () => {
    const bytes = await readBodyLimited(request(new Uint8Array([1, 2, 3])), 10);
    assert.deepEqual([...bytes], [1, 2, 3]);
  });
  await t.step("returns an empty buffer for no body", async () => {
    assert.equal((await readBodyLimited(request(null), 10)).byteLength, 0);
  });
  await t.step("accepts exactly the limit and grows past the first buffer", async () => {
    const big = 200 * 1024;
    const bytes = await readBodyLimited(request(streamOf(big, 4000)), big);
    assert.equal(bytes.byteLength, big);
    assert.ok(bytes.every((b) => b === 120));
  });
  await t.step("rejects a declared size over the limit without reading", async () => {
    let pulled = false;
    const body = new ReadableStream({
      pull() {
        pulled = true;
      },
    }, { highWaterMark: 0 });
    await assert.rejects(
      readBodyLimited(request(body, { "content-length": "11" }), 10),
      (err) =>
        err instanceof AppError && err.code === "body_too_large" &&
        errorStatus(err.code) === 413,
    );
    assert.equal(pulled, false);
    await body.cancel();
  });
  await t.step("rejects a stream that goes past the limit", async () => {
    await assert.rejects(readBodyLimited(request(streamOf(11, 4)), 10), {
      code: "body_too_large",
      message: "Request body is over the 10-byte limit",
    });
  });
  await t.step("copes with a Content-Length that understates the body", async () => {
    const bytes = await readBodyLimited(request(streamOf(9, 2), { "content-length": "3" }), 10);
    assert.equal(bytes.byteLength, 9);
  });
  await t.step("copes with a Content-Length that overstates the body", async () => {
    const bytes = await readBodyLimited(request(streamOf(3, 2), { "content-length": "9" }), 10);
    assert.equal(bytes.byteLength, 3);
  });
  await t.step("a broken stream is a 400, not a 500", async () => {
    const body = new ReadableStream({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    await assert.rejects(readBodyLimited(request(body), 10), {
      code: "bad_request",
      message: "Cannot read the request body: connection reset",
    });
  });
  await t.step("a body already read is a programming error", async () => {
    const req = request("abc");
    await req.text();
    await assert.rejects(readBodyLimited(req, 10), { code: "internal" });
  });
});

Deno.test("readBodyLimited() over HTTP without the middleware rejects a chunked upload", async () => {
  await withServer(async (url, ran) => {
    const res = await fetch(`${url}/helper`, {
      method: "POST",
      body: streamOf(8 * LIMIT),
      duplex: "half",
    } as RequestInit);
    assert.deepEqual(await errorOf(res), TOO_LARGE);
    assert.deepEqual(ran, ["helper-only"]);
    await assertStillServing(url);
  });
});

Deno.test("contentLength() accepts only plain decimal values", () => {
  const of = (value?: string) =>
    contentLength(new Headers(value === undefined ? {} : { "content-length": value }));
  assert.equal(of("0"), 0);
  assert.equal(of("1024"), 1024);
  assert.equal(of(undefined), undefined);
  for (const bad of ["", "abc", "12abc", "-1", "+5", "1e3", "0x10", "5, 5", "9".repeat(20)]) {
    assert.equal(of(bad), undefined, bad);
  }
});
