import assert from "node:assert/strict";
import { listenUrls } from "../../routes/listen_urls.ts";

Deno.test("listenUrls() prints addresses a person can open", async (t) => {
  await t.step("a wildcard host: localhost, plus the LAN addresses for a phone", () => {
    const urls = listenUrls({ hostname: "0.0.0.0", port: 8000 }, {
      tls: false,
      addresses: ["127.0.0.1", "192.168.1.20", "fe80::1", "10.0.0.5"],
    });
    assert.equal(urls.url, "http://localhost:8000/");
    assert.deepEqual(urls.lan, ["http://192.168.1.20:8000/", "http://10.0.0.5:8000/"]);
    assert.match(urls.phone!, /HTTPS.*TLS_CERT and TLS_KEY/);
  });
  await t.step("with TLS: https everywhere and nothing missing for a phone", () => {
    const urls = listenUrls({ hostname: "::", port: 8443 }, { tls: true, addresses: ["10.1.2.3"] });
    assert.equal(urls.url, "https://localhost:8443/");
    assert.deepEqual(urls.lan, ["https://10.1.2.3:8443/"]);
    assert.equal(urls.phone, null);
  });
  await t.step("loopback only: says how to open it to the LAN", () => {
    const urls = listenUrls({ hostname: "127.0.0.1", port: 8000 }, { tls: false });
    assert.equal(urls.url, "http://localhost:8000/");
    assert.deepEqual(urls.lan, []);
    assert.match(urls.phone!, /HOST=0\.0\.0\.0/);
  });
  await t.step("a specific address is printed as is", () => {
    const urls = listenUrls({ hostname: "192.168.1.20", port: 80 }, { tls: false });
    assert.equal(urls.url, "http://192.168.1.20:80/");
  });
});
