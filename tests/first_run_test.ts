/** A new user's first run: bad settings, the start-up log, HTTPS with a certificate made here. */
import assert from "node:assert/strict";
import { DEFAULTS } from "../config.ts";
import { queueInference, runnerSource } from "../inference/mod.ts";
import { createApp } from "../routes/app.ts";

const decoder = new TextDecoder();

Deno.test("a bad setting prints one line naming every problem and exits 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net", "--allow-env", "main.ts"],
    env: { PORT: "abc", WORKERS: "zero", TLS_CERT: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  const lines = decoder.decode(out.stderr).trim().split("\n");
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /^Cannot start: bad configuration: PORT: .*\(got "abc"\); WORKERS: /);
  assert.doesNotMatch(lines[0], /\bat \S+:\d+/, "no stack trace");
  assert.equal(decoder.decode(out.stdout), "");
});

Deno.test("/readyz's warm-up 503s are logged as info, not as errors", async () => {
  const lines: string[] = [];
  const unused = { info: {} as never, detect: () => Promise.reject(new Error("unused")) };
  const app = createApp({
    config: DEFAULTS,
    inference: queueInference({ ...runnerSource(unused), ready: () => false }, DEFAULTS),
    log: (line) => lines.push(line),
  });
  const res = await app.request("/readyz");
  assert.equal(res.status, 503);
  const entry = JSON.parse(lines[0]);
  assert.deepEqual([entry.path, entry.status, entry.level], ["/readyz", 503, "info"]);
  // Other answers keep their level: a 404 is a warning.
  await app.request("/metrics-typo");
  assert.equal(JSON.parse(lines[1]).level, "warn");
});

/** Runs openssl with these arguments in `dir`. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  assert.equal(out.code, 0, `openssl ${args[0]}: ${decoder.decode(out.stderr)}`);
}

/**
 * What README's mkcert recipe makes, with the openssl CLI: a local CA (the part a phone is told
 * to trust) and a certificate for localhost and 127.0.0.1 signed by it (the part the service
 * serves).
 */
async function makeCertificate(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-days",
    "2",
    "-subj",
    "/CN=nothotdog test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  await openssl(
    dir,
    "req",
    ...ec,
    "-subj",
    "/CN=localhost",
    "-keyout",
    "key.pem",
    "-out",
    "leaf.csr",
  );
  await Deno.writeTextFile(
    `${dir}/leaf.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
      "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "leaf.ext",
    "-out",
    "cert.pem",
  );
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
}

Deno.test("with TLS_CERT and TLS_KEY the service speaks HTTPS and says where to open it", async () => {
  const dir = await Deno.makeTempDir();
  const { ca, cert, key } = await makeCertificate(dir);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-net", "--allow-env", "--allow-sys", "main.ts"],
    env: { PORT: String(port), HOST: "0.0.0.0", WORKERS: "1", TLS_CERT: cert, TLS_KEY: key },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The test trusts exactly the CA it made, as a phone that was given it.
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(ca)] });
  const url = `https://localhost:${port}`;
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  try {
    while (!log.includes('"msg":"ready"')) {
      const { value, done } = await stdout.read();
      if (done) throw new Error(`main.ts stopped: ${log}`);
      log += value;
    }
    const listening = JSON.parse(log.split("\n").find((l) => l.includes('"listening"'))!);
    assert.equal(listening.url, `https://localhost:${port}/`);
    assert.equal(listening.phone, null);
    assert.ok(listening.lan.every((u: string) => u.startsWith("https://")), listening.lan);

    const ready = await fetch(`${url}/readyz`, { client });
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    const res = await fetch(`${url}/api/v1/detect`, {
      method: "POST",
      headers: { "Content-Type": "image/jpeg" },
      body: await Deno.readFile("tests/data/images/bus.jpg"),
      client,
    });
    assert.equal(res.status, 200);
    assert.ok((await res.json()).detections.some((d: { label: string }) => d.label === "bus"));
    // Plain HTTP on the TLS port is refused, not served.
    await assert.rejects(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.text()));
  } finally {
    client.close();
    child.kill("SIGTERM");
    await stdout.cancel();
    await child.stderr.cancel();
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
