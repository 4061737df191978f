/** The detect CLI with --url: the same JSON lines from a running server, over real HTTP. */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { serveApp } from "../routes/_app.ts";

const BUS = "tests/data/images/bus.jpg";
const KEY = "cli-test-key-0123456789";

async function runCli(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "cli/detect.ts",
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  return {
    code: out.code,
    lines: text === "" ? [] : text.split("\n").map((l) => JSON.parse(l)),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A port nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("detect CLI with --url", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = serveApp(detector);
  const keyed = serveApp(detector, { API_KEYS: [KEY] });
  const tmp = await Deno.makeTempFile({ suffix: ".jpg" });
  await Deno.writeTextFile(tmp, "this is not a JPEG");
  try {
    await t.step("prints the lines a local run prints, errors from the server's JSON", async () => {
      const local = await runCli([BUS]);
      const remote = await runCli(["--url", app.url, BUS, tmp, "missing.jpg"]);
      assert.equal(remote.code, 1, remote.stderr);
      assert.equal(remote.lines.length, 3);
      const { timings: lt, ...localLine } = local.lines[0];
      const { timings: rt, ...remoteLine } = remote.lines[0];
      assert.deepEqual(remoteLine, localLine);
      assert.deepEqual(Object.keys(rt).filter((k) => k !== "queue"), Object.keys(lt));
      assert.deepEqual(remote.lines[1], {
        file: tmp,
        error: { code: "not_image", message: remote.lines[1].error.message },
      });
      assert.match(remote.lines[1].error.message, /JPEG/);
      assert.equal(remote.lines[2].error.code, "bad_request");
      assert.match(remote.lines[2].error.message, /Cannot read missing\.jpg/);
      assert.equal(remote.stderr, "");
    });

    await t.step("passes --conf, --iou and --max on as query parameters", async () => {
      const { code, lines } = await runCli([
        "--url",
        `${app.url}/`,
        "--conf",
        "0.6",
        "--iou",
        "0.5",
        "--max",
        "1",
        BUS,
      ]);
      assert.equal(code, 0);
      assert.equal(lines[0].detections.length, 1);
      assert.ok(lines[0].detections[0].score > 0.6);
    });

    await t.step("sends --api-key as a Bearer token", async () => {
      const without = await runCli(["--url", keyed.url, BUS]);
      assert.equal(without.code, 1);
      assert.equal(without.lines[0].error.code, "unauthorized");
      const withKey = await runCli(["--url", keyed.url, "--api-key", KEY, BUS]);
      assert.equal(withKey.code, 0, withKey.stderr);
      assert.equal(withKey.lines[0].width, 810);
    });

    await t.step("waits out a 429 as Retry-After says, then gets the answer", async () => {
      const slow = serveApp(detector, { RATE_LIMIT_RATE: 1, RATE_LIMIT_BURST: 1 });
      try {
        const { code, lines } = await runCli(["--url", slow.url, BUS, BUS]);
        assert.equal(code, 0);
        assert.deepEqual(lines.map((l) => l.width), [810, 810]);
      } finally {
        await slow.close();
      }
    });

    await t.step("an unreachable server: one line on stderr and exit 2", async () => {
      const { code, lines, stderr } = await runCli([
        "--url",
        `http://127.0.0.1:${closedPort()}`,
        BUS,
        BUS,
      ]);
      assert.equal(code, 2);
      assert.equal(lines.length, 0);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^detect: cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    });

    const usage: string[][] = [
      ["--url", "localhost:8000", BUS],
      ["--url", "ftp://x", BUS],
      ["--url", app.url, "--size", "640", BUS],
      ["--url", app.url, "--model", "x.onnx", BUS],
      ["--api-key", KEY, BUS],
    ];
    for (const args of usage) {
      await t.step(`${args.slice(0, -1).join(" ")}: refused with exit 2`, async () => {
        const { code, lines, stderr } = await runCli(args);
        assert.equal(code, 2);
        assert.equal(lines.length, 0);
        assert.match(stderr, /^detect: /);
      });
    }
  } finally {
    await Deno.remove(tmp);
    await app.close();
    await keyed.close();
    await detector.close();
  }
});
