/** API keys: the matching, the Bearer header over HTTP, what stays open, and keys as rate-limit keys. */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { bearerToken, keyRing } from "../../routes/auth.ts";
import { call, form, serveApp } from "./_app.ts";
import { sendRaw } from "./_frigate.ts";

const BUS = await Deno.readFile("tests/data/images/bus.jpg");
const JPEG = { "Content-Type": "image/jpeg" };
const KEY_A = "key-a-0123456789abcdef";
const KEY_B = "key-b-fedcba9876543210";

Deno.test("keyRing() matches whole keys only and says which", () => {
  const ring = keyRing([KEY_A, KEY_B]);
  assert.equal(ring.size, 2);
  assert.equal(ring.match(KEY_A), 0);
  assert.equal(ring.match(KEY_B), 1);
  for (const wrong of [undefined, "", KEY_A.slice(0, -1), `${KEY_A}x`, KEY_A.toUpperCase()]) {
    assert.equal(ring.match(wrong), -1, String(wrong));
  }
  assert.equal(keyRing([]).match(KEY_A), -1);
});

Deno.test("bearerToken() reads RFC 6750 headers and nothing else", () => {
  assert.equal(bearerToken(`Bearer ${KEY_A}`), KEY_A);
  assert.equal(bearerToken(`bearer  ${KEY_A} `), KEY_A);
  for (const h of [undefined, "", "Bearer", "Bearer ", `Basic ${KEY_A}`, `Bearer a b`, KEY_A]) {
    assert.equal(bearerToken(h), undefined, String(h));
  }
});

Deno.test("API keys over HTTP", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const detect = (url: string, headers: Record<string, string> = {}) =>
    call(`${url}/api/v1/detect`, { method: "POST", body: BUS, headers: { ...JPEG, ...headers } });
  try {
    await t.step("without API_KEYS the APIs are open", async () => {
      const app = serveApp(detector);
      try {
        assert.equal((await detect(app.url)).status, 200);
        assert.equal((await detect(app.url, { Authorization: "Bearer whatever" })).status, 200);
      } finally {
        await app.close();
      }
    });

    const app = serveApp(detector, { API_KEYS: [KEY_A, KEY_B] });
    try {
      await t.step("with API_KEYS a missing or wrong key is 401 with a challenge", async () => {
        for (const auth of [undefined, "Bearer nope", `Basic ${KEY_A}`, `Bearer ${KEY_A}x`]) {
          const r = await detect(app.url, auth ? { Authorization: auth } : {});
          assert.equal(r.status, 401, String(auth));
          assert.equal(r.body.error.code, "unauthorized");
          assert.equal(r.headers.get("WWW-Authenticate"), 'Bearer realm="nothotdog"');
        }
        const model = await call(`${app.url}/api/v1/model`);
        assert.equal(model.status, 401);
      });

      await t.step("every configured key works, the scheme in any case", async () => {
        assert.equal((await detect(app.url, { Authorization: `Bearer ${KEY_A}` })).status, 200);
        assert.equal((await detect(app.url, { Authorization: `bearer ${KEY_B}` })).status, 200);
        const model = await call(`${app.url}/api/v1/model`, {
          headers: { Authorization: `Bearer ${KEY_B}` },
        });
        assert.equal(model.status, 200);
      });

      await t.step("a bad key is refused before the body is read", async () => {
        // Headers promise a megabyte, one kilobyte arrives: the 401 comes without waiting.
        const head = "POST /api/v1/detect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n" +
          "Content-Type: image/jpeg\r\nContent-Length: 1000000\r\n\r\n";
        const partial = new Uint8Array([
          ...new TextEncoder().encode(head),
          ...BUS.subarray(0, 1024),
        ]);
        const r = await sendRaw(app.port, partial);
        assert.equal(r.status, 401);
        assert.equal(JSON.parse(r.body).error.code, "unauthorized");
      });

      await t.step("the camera page, its /detect, the docs and ops stay open", async () => {
        for (const path of ["/", "/healthz", "/openapi.json", "/api/docs", "/v1/status/ping"]) {
          assert.equal((await call(`${app.url}${path}`)).status, 200, path);
        }
        const page = await call(`${app.url}/detect`, { method: "POST", body: form(BUS) });
        assert.equal(page.status, 200, page.text);
      });

      await t.step("/openapi.json says the APIs need a Bearer key", async () => {
        const doc = (await call(`${app.url}/openapi.json`)).body;
        const bearer = doc.components.securitySchemes.bearer;
        assert.deepEqual([bearer.type, bearer.scheme], ["http", "bearer"]);
        assert.match(bearer.description, /API_KEYS.*api_key.*This server has\./);
        assert.deepEqual(doc.paths["/api/v1/detect"].post.security, [{ bearer: [] }]);
      });
    } finally {
      await app.close();
    }

    await t.step(
      "the rate-limit key is the API key, and a refused key spends its address's tokens",
      async () => {
        const limited = serveApp(detector, {
          API_KEYS: [KEY_A, KEY_B],
          RATE_LIMIT_RATE: 0.01,
          RATE_LIMIT_BURST: 2,
        });
        try {
          // Guessing costs a token each: 401 while the address has tokens, then 429.
          assert.equal((await detect(limited.url, { Authorization: "Bearer nope" })).status, 401);
          assert.equal((await detect(limited.url, { Authorization: "Bearer nope2" })).status, 401);
          const guessed = await detect(limited.url, { Authorization: "Bearer nope3" });
          assert.equal(guessed.status, 429);
          assert.equal(guessed.body.error.code, "rate_limited");
          assert.match(guessed.body.error.message, /Too many failed API keys/);
          // A missing key on the model route is a failure too.
          assert.equal((await call(`${limited.url}/api/v1/model`)).status, 429);
          // A proven key is limited as that key, apart from the address: its own bucket.
          for (let i = 0; i < 2; i++) {
            const ok = await detect(limited.url, { Authorization: `Bearer ${KEY_A}` });
            assert.equal(ok.status, 200);
          }
          const again = await detect(limited.url, { Authorization: `Bearer ${KEY_A}` });
          assert.equal(again.status, 429);
          assert.equal(again.body.error.code, "rate_limited");
          assert.equal(
            (await detect(limited.url, { Authorization: `Bearer ${KEY_B}` })).status,
            200,
          );
          // The open page is limited by address: the guesses spent its tokens.
          const page = await call(`${limited.url}/detect`, { method: "POST", body: form(BUS) });
          assert.equal(page.status, 429, page.text);
        } finally {
          await limited.close();
        }
      },
    );

    await t.step("a wrong DeepStack api_key field spends tokens the same way", async () => {
      const limited = serveApp(detector, {
        API_KEYS: [KEY_A],
        RATE_LIMIT_RATE: 0.01,
        RATE_LIMIT_BURST: 3,
      });
      try {
        const list = (key: string) => {
          const body = new FormData();
          body.append("api_key", key);
          return call(`${limited.url}/v1/vision/custom/list`, { method: "POST", body });
        };
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await list(`guess-${i}`)).status);
        // The list route has no upload guard: only the failures spent the burst of 3.
        assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
        const refused = await list("guess-5");
        assert.equal(refused.body.success, false);
        assert.match(refused.body.error, /Too many failed API keys/);
        assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      } finally {
        await limited.close();
      }
    });
  } finally {
    await detector.close();
  }
});
