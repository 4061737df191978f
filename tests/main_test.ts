import assert from "node:assert/strict";
import { spawnService } from "./bench/_spawn.ts";

Deno.test("main.ts finishes in-flight requests on SIGTERM and exits 0", async () => {
  const service = await spawnService({ WORKERS: "1", INPUT_SIZE: "640" }, {
    readyTimeoutMs: 20_000,
  });
  const { url } = service;
  let stopped: Promise<number> | undefined;
  try {
    const form = new FormData();
    form.append("image", new Blob([await Deno.readFile("tests/data/images/bus.jpg")]), "bus.jpg");
    const inFlight = fetch(`${url}/detect`, { method: "POST", body: form });
    // Signal once the detection is running in a worker (a 640 run takes hundreds of ms).
    for (let i = 0; i < 400; i++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      if (/^nothotdog_queue_in_flight 1$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    stopped = service.stop();
    const res = await inFlight;
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(text, /<rect /);
    assert.equal(await stopped, 0);
    await assert.rejects(() => fetch(`${url}/healthz`));
  } finally {
    // A failure before the SIGTERM must not leave the service running.
    if (!stopped) await service.stop();
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
