import assert from "node:assert/strict";

Deno.test("main.ts finishes in-flight requests on SIGTERM and exits 0", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net", "--allow-env", "main.ts"],
    env: { PORT: String(port), HOST: "127.0.0.1", WORKERS: "1", INPUT_SIZE: "640" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    let ready = false;
    for (let i = 0; i < 400 && !ready; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      await res?.body?.cancel();
      ready = res?.status === 200;
    }
    assert.ok(ready, "service did not become ready");
    const form = new FormData();
    form.append("image", new Blob([await Deno.readFile("tests/data/images/bus.jpg")]), "bus.jpg");
    const inFlight = fetch(`${url}/detect`, { method: "POST", body: form });
    // Signal once the detection is running in a worker (a 640 run takes hundreds of ms).
    for (let i = 0; i < 400; i++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      if (/^nothotdog_queue_in_flight 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGTERM");
    const res = await inFlight;
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(text, /<rect /);
    const { code } = await child.output();
    assert.equal(code, 0);
    await assert.rejects(() => fetch(`${url}/healthz`));
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }
});

Deno.test("main.ts refuses a bad configuration with one clear line", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net", "--allow-env", "main.ts"],
    env: { INPUT_SIZE: "300", WORKERS: "zero" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /Cannot start: bad configuration: .*INPUT_SIZE.*WORKERS/);
});
