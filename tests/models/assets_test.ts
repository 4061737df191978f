/** Tests for the asset step, against real files copied from the shared assets folder. */

import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Asset,
  fetchAssets,
  type FetchAssetsOptions,
  main,
  type Output,
  readManifest,
  summarize,
} from "../../models/assets.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
// The mirror the asset step copies from: ASSETS_MIRROR (relative to the cwd, as the script
// resolves it) when set, else the shared folder CI keeps beside the repo. Tests that need its
// real bytes skip only when neither is there; an ASSETS_MIRROR without a manifest fails them.
const MIRROR_ENV = Deno.env.get("ASSETS_MIRROR");
const SHARED = MIRROR_ENV ? resolve(Deno.cwd(), MIRROR_ENV) : join(REPO, "../shared/assets");
const HAS_SHARED = await Deno.stat(join(SHARED, "MANIFEST.tsv")).then(() => true, () => false);
if (MIRROR_ENV && !HAS_SHARED) {
  throw new Error(
    `Cannot test against ASSETS_MIRROR=${MIRROR_ENV}: ${join(SHARED, "MANIFEST.tsv")} is missing`,
  );
}
const SCRIPT = join(REPO, "models/assets.ts");
const COMMITTED = readManifest(await Deno.readTextFile(join(REPO, "models/assets.tsv")));

function pick(path: string): Asset {
  const asset = COMMITTED.find((a) => a.path === path);
  assert.ok(asset, `${path} is in models/assets.tsv`);
  return asset;
}

const BUS = pick("tests/data/images/bus.jpg");
const HOTDOG = pick("tests/data/hotdog/truepositive-train/hotdog/10020170.jpg");
const NOT_HOTDOG = pick("tests/data/hotdog/truepositive-train/not_hotdog/1001773.jpg");
const MODEL = pick("models/yolov5n.onnx");
const SMALL = [BUS, HOTDOG, NOT_HOTDOG];

function recorder() {
  const lines: string[] = [];
  const errors: string[] = [];
  const statuses: string[] = [];
  const output: Output = {
    line: (text) => lines.push(text),
    error: (text) => errors.push(text),
    status: (text) => statuses.push(text),
  };
  return { output, lines, errors, statuses };
}

/** A temp dir with `mirror/` holding real copies of `assets` and an empty `root/`. */
async function sandbox(assets: Asset[]) {
  const dir = await Deno.makeTempDir({ prefix: "nothotdog-assets-" });
  const mirror = join(dir, "mirror");
  const root = join(dir, "root");
  await Deno.mkdir(root);
  for (const asset of assets) {
    const to = join(mirror, asset.mirror);
    await Deno.mkdir(join(to, ".."), { recursive: true });
    await Deno.copyFile(join(SHARED, asset.mirror), to);
  }
  return { dir, mirror, root, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await listFiles(path));
    else out.push(path);
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function toTsv(assets: Asset[]): string {
  const rows = assets.map((a) => [a.group, a.path, a.mirror, a.sha256, a.bytes, a.license, a.url]);
  return ["group\tpath\tmirror\tsha256\tbytes\tlicense\turl", ...rows.map((r) => r.join("\t"))]
    .join("\n") + "\n";
}

function withHash(asset: Asset, sha256: string): Asset {
  return { ...asset, sha256 };
}

const WRONG_HASH = "0".repeat(64);

Deno.test("readManifest() parses the committed models/assets.tsv into 702 pinned rows", () => {
  const count = (group: string) => COMMITTED.filter((a) => a.group === group).length;
  assert.equal(COMMITTED.length, 702);
  assert.deepEqual([count("model"), count("image"), count("hotdog")], [3, 1, 698]);
  assert.deepEqual(
    COMMITTED.filter((a) => a.group === "model").map((a) => a.path).sort(),
    ["models/mobilenetv2-12-int8.onnx", "models/yolov5n-fp16.onnx", "models/yolov5n.onnx"],
  );
  for (const asset of COMMITTED) {
    if (asset.group === "model") assert.equal(asset.path, asset.mirror);
    else assert.equal(asset.path, `tests/data/${asset.mirror}`);
    assert.match(asset.url, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
  }
  assert.equal(
    HOTDOG.url,
    "https://raw.githubusercontent.com/truepositive/hotdog_nothotdog/" +
      "c719396d87a52102a78a683ac4394086a4a7190a/train/hotdog/10020170.jpg",
  );
  assert.equal(
    pick("tests/data/hotdog/seefood-train/hot_dog/1000288.jpg").url,
    "https://raw.githubusercontent.com/imckechn/Seefood/" +
      "eabfaf36ed5a05500169dfbd108e83f47b947a89/archive/train/hot_dog/1000288.jpg",
  );
  assert.equal(
    BUS.url,
    "https://raw.githubusercontent.com/tackOlab/RaspiYOLOv5_kdu/" +
      "c99e1e98d6cf9cae9d0fcd73fdbe9a35ff6f5881/bus.jpg",
  );
  assert.match(pick("models/yolov5n-fp16.onnx").url, /Nemo_Sense\/[0-9a-f]{40}\/python\/models/);
  assert.equal(MODEL.license, "AGPL-3.0 (Ultralytics YOLOv5 weights)");
});

Deno.test({
  name: "models/assets.tsv agrees with the mirror's MANIFEST.tsv on every row",
  ignore: !HAS_SHARED,
  fn: async () => {
    const shared = (await Deno.readTextFile(join(SHARED, "MANIFEST.tsv"))).trim().split("\n")
      .map((line) => line.split("\t")).map(([mirror, sha256, bytes]) => ({
        mirror,
        sha256,
        bytes,
      }));
    const ours = COMMITTED.map((a) => ({
      mirror: a.mirror,
      sha256: a.sha256,
      bytes: `${a.bytes}`,
    }));
    const byMirror = (a: { mirror: string }, b: { mirror: string }) => a.mirror < b.mirror ? -1 : 1;
    assert.deepEqual(ours.sort(byMirror), shared.sort(byMirror));
  },
});

Deno.test("readManifest() rejects a malformed manifest with the line and value", async (t) => {
  const header = "group\tpath\tmirror\tsha256\tbytes\tlicense\turl";
  const good = toTsv([HOTDOG]).split("\n")[1];
  const bad = (row: string) => () => readManifest(`${header}\n${good}\n${row}\n`, { source: "m" });

  await t.step("a wrong header", () => {
    assert.throws(() => readManifest("path\tsha256\n"), /Cannot read manifest: header is/);
  });
  await t.step("a short row", () => {
    assert.throws(bad("image\tx.jpg"), /^Error: Cannot read m line 3: expected 7 .* got 2$/);
  });
  await t.step("an unknown group", () => {
    assert.throws(bad(good.replace(/^hotdog/, "cat")), /line 3: unknown group "cat"/);
  });
  await t.step("a path outside the git-ignored folders", () => {
    assert.throws(bad(good.replace("tests/data/", "src/")), /line 3: path "src\/.*" is not/);
    assert.throws(bad(good.replace("tests/data/", "tests/data/../")), /line 3: path/);
  });
  await t.step("a hash that is not 64 hex digits", () => {
    assert.throws(bad(good.replace(HOTDOG.sha256, "abc")), /line 3: sha256 "abc" is not hex/);
  });
  await t.step("the same path twice", () => {
    assert.throws(bad(good), /line 3: path .* is listed twice/);
  });
});

Deno.test({
  name: "fetchAssets() copies from a mirror and verifies SHA-256",
  ignore: !HAS_SHARED,
  fn: async (t) => {
    await using box = await sandbox(SMALL);
    const run = (options: FetchAssetsOptions = {}) => {
      const rec = recorder();
      const output = rec.output;
      const report = fetchAssets(SMALL, { root: box.root, mirror: box.mirror, output, ...options });
      return report.then((report) => ({ report, ...rec }));
    };

    await t.step("copies every file into place with one line each", async () => {
      const { report, lines, errors } = await run();
      assert.deepEqual(errors, []);
      assert.deepEqual(report, { total: 3, present: 0, fetched: 3, failed: 0, errors: [] });
      for (const asset of SMALL) {
        assert.deepEqual(
          await Deno.readFile(join(box.root, asset.path)),
          await Deno.readFile(join(SHARED, asset.mirror)),
        );
      }
      assert.equal(lines.length, 3);
      assert.ok(lines.includes(`fetched ${BUS.path} (487.4 kB, from mirror)`), lines.join("\n"));
      assert.deepEqual(
        (await listFiles(box.root)).filter((p) => p.endsWith(".tmp")),
        [],
        "no temp file left",
      );
    });

    await t.step("skips files already present, without rewriting them", async () => {
      const before = (await Deno.stat(join(box.root, BUS.path))).mtime;
      const { report, lines } = await run();
      assert.deepEqual(report, { total: 3, present: 3, fetched: 0, failed: 0, errors: [] });
      assert.deepEqual(lines, []);
      assert.deepEqual((await Deno.stat(join(box.root, BUS.path))).mtime, before);
    });

    await t.step("replaces a same-size corrupted file and a truncated one", async () => {
      const bus = join(box.root, BUS.path);
      const garbage = new Uint8Array(BUS.bytes).fill(0x41);
      await Deno.writeFile(bus, garbage);
      await Deno.writeFile(join(box.root, HOTDOG.path), new Uint8Array(10));
      const { report, lines } = await run();
      assert.equal(report.fetched, 2);
      assert.equal(report.present, 1);
      assert.deepEqual(await Deno.readFile(bus), await Deno.readFile(join(SHARED, BUS.mirror)));
      assert.ok(lines.some((l) => l.includes(`${BUS.path}`) && l.includes("SHA-256 mismatch")));
      assert.ok(lines.some((l) => l.includes("size 10 bytes, want 7290")), lines.join("\n"));
    });

    await t.step("--check reports a missing and a corrupted file and fetches nothing", async () => {
      await Deno.remove(join(box.root, HOTDOG.path));
      const zeros = new Uint8Array(BUS.bytes);
      await Deno.writeFile(join(box.root, BUS.path), zeros);
      const zerosHash = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", zeros)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      const { report, errors, lines } = await run({ check: true });
      assert.equal(report.failed, 2);
      assert.equal(report.present, 1);
      assert.deepEqual(lines, []);
      assert.deepEqual(errors.sort(), [
        `Check failed for ${HOTDOG.path}: missing; run \`deno task assets\` to fetch it`,
        `Check failed for ${BUS.path}: SHA-256 mismatch (got ${zerosHash.slice(0, 12)}..., want ${
          BUS.sha256.slice(0, 12)
        }...); run \`deno task assets\` to replace it`,
      ]);
      assert.equal(await exists(join(box.root, HOTDOG.path)), false);
      assert.match(summarize(report, { check: true }), /^assets: 2 failed check, 1 ok;/);
    });

    await t.step("only touches the groups in `only`", async () => {
      const root = join(box.dir, "only");
      const { report } = await run({ root, only: ["image"] });
      assert.deepEqual(report, { total: 1, present: 0, fetched: 1, failed: 0, errors: [] });
      assert.deepEqual(await listFiles(root), [join(root, BUS.path)]);
    });
  },
});

Deno.test({
  name: "fetchAssets() refuses bytes whose SHA-256 does not match, leaving no target or temp file",
  ignore: !HAS_SHARED,
  fn: async () => {
    await using box = await sandbox([HOTDOG, BUS]);
    const { output, errors } = recorder();
    const report = await fetchAssets([withHash(HOTDOG, WRONG_HASH), BUS], {
      root: box.root,
      mirror: box.mirror,
      output,
    });
    assert.equal(report.failed, 1);
    assert.equal(report.fetched, 1, "the other asset is still fetched");
    assert.deepEqual(errors, [
      `Cannot copy ${HOTDOG.path} from mirror: SHA-256 mismatch (got ${
        HOTDOG.sha256.slice(0, 12)
      }..., want 000000000000...) in ${join(box.mirror, HOTDOG.mirror)}; ` +
      `replace the mirror copy or unset ASSETS_MIRROR to download it`,
    ]);
    assert.deepEqual(await listFiles(box.root), [join(box.root, BUS.path)]);
    assert.match(summarize(report), /^assets: 1 failed, 1 ok \(0 present, 1 fetched\); see/);
  },
});

Deno.test({
  name: "fetchAssets() reports a file missing from the mirror in one line and keeps going",
  ignore: !HAS_SHARED,
  fn: async () => {
    await using box = await sandbox([BUS]);
    const { output, errors } = recorder();
    const report = await fetchAssets([HOTDOG, BUS], { root: box.root, mirror: box.mirror, output });
    assert.equal(report.fetched, 1);
    assert.deepEqual(errors, [
      `Cannot copy ${HOTDOG.path} from mirror: ${join(box.mirror, HOTDOG.mirror)} not found; ` +
      `add it to the mirror or unset ASSETS_MIRROR to download it`,
    ]);
    assert.equal(await exists(join(box.root, HOTDOG.path)), false);
  },
});

Deno.test({
  name: "fetchAssets() downloads over HTTP with bounded concurrency and one-line errors",
  ignore: !HAS_SHARED,
  fn: async (t) => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const path = decodeURIComponent(new URL(request.url).pathname.slice(1));
        if (path === "stall") {
          // Headers arrive, then the body never does.
          return new Response(new ReadableStream({ start() {} }));
        }
        const bytes = await Deno.readFile(join(SHARED, path)).catch(() => null);
        if (bytes === null) return new Response("no such file", { status: 404 });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight--;
        return new Response(bytes);
      },
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    const served = (asset: Asset, path = asset.path): Asset => ({
      ...asset,
      path,
      url: `${base}/${asset.mirror}`,
    });
    const root = await Deno.makeTempDir({ prefix: "nothotdog-assets-http-" });
    try {
      await t.step("downloads real bytes and shows a percentage for a large file", async () => {
        const { output, lines, statuses, errors } = recorder();
        const report = await fetchAssets([served(MODEL), served(HOTDOG)], { root, output });
        assert.deepEqual(errors, []);
        assert.equal(report.fetched, 2);
        assert.deepEqual(
          await Deno.readFile(join(root, MODEL.path)),
          await Deno.readFile(join(SHARED, MODEL.mirror)),
        );
        assert.ok(lines.includes(`fetched ${MODEL.path} (4.0 MB, downloaded)`), lines.join("\n"));
        assert.ok(statuses.some((s) => /^fetching .*models\/yolov5n\.onnx 100%/.test(s)));
        assert.ok(!statuses.some((s) => s.includes(HOTDOG.path)), "no progress for small files");
      });

      await t.step("keeps at most `concurrency` downloads in flight", async () => {
        maxInFlight = 0;
        const many = Array.from(
          { length: 12 },
          (_, i) => served(NOT_HOTDOG, `tests/data/many/${i}.jpg`),
        );
        const { output } = recorder();
        const report = await fetchAssets(many, { root, concurrency: 3, output });
        assert.equal(report.fetched, 12);
        assert.ok(maxInFlight >= 2 && maxInFlight <= 3, `max in flight ${maxInFlight}`);
      });

      await t.step("reports HTTP 404 in one line and fetches the rest", async () => {
        const missing = { ...served(BUS), url: `${base}/images/nope.jpg` };
        const { output, errors } = recorder();
        const report = await fetchAssets([missing, served(NOT_HOTDOG)], { root, output });
        assert.equal(report.fetched, 1);
        assert.deepEqual(errors, [
          `Cannot fetch ${BUS.path}: HTTP 404 from ${base}/images/nope.jpg; ` +
          `check the manifest URL or set ASSETS_MIRROR=DIR`,
        ]);
        assert.equal(await exists(join(root, BUS.path)), false);
      });

      await t.step("reports a SHA-256 mismatch from upstream without writing", async () => {
        const { output, errors } = recorder();
        await fetchAssets([withHash(served(BUS), WRONG_HASH)], { root, output });
        assert.equal(errors.length, 1);
        assert.match(errors[0], /^Cannot fetch tests\/data\/images\/bus\.jpg: SHA-256 mismatch/);
        assert.match(errors[0], /the upstream file changed: fix models\/assets\.tsv/);
        assert.equal(await exists(join(root, BUS.path)), false);
      });

      await t.step("reports a download that stalls", async () => {
        const stalled = { ...served(BUS), url: `${base}/stall` };
        const { output, errors } = recorder();
        await fetchAssets([stalled], { root, output, stallMs: 100 });
        assert.deepEqual(errors, [
          `Cannot fetch ${BUS.path}: download stalled (no bytes for 0.1 s from ${base}/stall); ` +
          `retry, or set ASSETS_MIRROR=DIR to a local copy`,
        ]);
      });
    } finally {
      await server.shutdown();
    }

    await t.step("reports an unreachable server in one line", async () => {
      // The server above is shut down, so its port now refuses connections.
      const { output, errors } = recorder();
      const report = await fetchAssets([served(BUS)], { root: `${root}-none`, output });
      assert.equal(report.failed, 1);
      assert.equal(errors.length, 1);
      assert.match(
        errors[0],
        /^Cannot fetch tests\/data\/images\/bus\.jpg: network unreachable \(.+\); connect to the internet or set ASSETS_MIRROR=DIR to a local copy$/,
      );
      assert.ok(!errors[0].includes("\n"));
    });

    await t.step("reports a thrown fetch error through an injected fetch", async () => {
      const { output, errors } = recorder();
      const fetch = () =>
        Promise.reject(new TypeError("fetch failed", { cause: new Error("dns") }));
      await fetchAssets([BUS], { root: `${root}-none`, output, fetch });
      assert.deepEqual(errors, [
        `Cannot fetch ${BUS.path}: network unreachable (dns); ` +
        `connect to the internet or set ASSETS_MIRROR=DIR to a local copy`,
      ]);
    });
    await Deno.remove(root, { recursive: true });
  },
});

Deno.test("main() refuses a bad ASSETS_MIRROR and bad flags with one line", async (t) => {
  const cwd = await Deno.makeTempDir({ prefix: "nothotdog-assets-main-" });
  try {
    await t.step("a mirror folder that does not exist", async () => {
      const { output, errors, lines } = recorder();
      const env = (name: string) => name === "ASSETS_MIRROR" ? "nowhere" : undefined;
      assert.equal(await main(["--root", "out"], { env, cwd, output }), 1);
      assert.deepEqual(errors, [
        `Cannot use ASSETS_MIRROR=nowhere: ${join(cwd, "nowhere")} is not a directory; ` +
        `point it at a copy of the shared assets folder or unset it to download`,
      ]);
      assert.deepEqual(lines, []);
      assert.equal(await exists(join(cwd, "out")), false);
    });
    await t.step("an unknown group and an unknown flag", async () => {
      const { output, errors } = recorder();
      assert.equal(await main(["--only", "model,cat"], { cwd, output }), 2);
      assert.equal(await main(["--fast"], { cwd, output }), 2);
      assert.deepEqual(errors, [
        `Cannot run the asset step: unknown group "cat" in --only (expected model, image, hotdog)`,
        `Cannot run the asset step: Unknown option '--fast'; see --help`,
      ]);
    });
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test({
  name: "models/assets.ts as a script copies from a relative ASSETS_MIRROR and exits 1 on failure",
  ignore: !HAS_SHARED,
  fn: async (t) => {
    await using box = await sandbox([HOTDOG, NOT_HOTDOG]);
    await Deno.writeTextFile(join(box.dir, "good.tsv"), toTsv([HOTDOG, NOT_HOTDOG]));
    await Deno.writeTextFile(
      join(box.dir, "bad.tsv"),
      toTsv([withHash(HOTDOG, WRONG_HASH), NOT_HOTDOG]),
    );
    const run = async (...args: string[]) => {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", "--allow-env", SCRIPT, ...args],
        cwd: box.dir,
        env: { ASSETS_MIRROR: "mirror", NO_COLOR: "1" },
      }).output();
      const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      return { code, stdout: text(stdout), stderr: text(stderr) };
    };

    await t.step("first run copies both files", async () => {
      const { code, stdout, stderr } = await run("--manifest", "good.tsv", "--root", "root");
      assert.equal(stderr, "");
      assert.equal(code, 0);
      assert.match(stdout, /^fetched tests\/data\/hotdog\/truepositive-train\/.*from mirror\)$/m);
      assert.match(stdout, /^assets: 2 ok \(0 present, 2 fetched\)\n$/m);
    });
    await t.step("a --quiet run with nothing to do prints nothing", async () => {
      const result = await run("--manifest", "good.tsv", "--root", "root", "--quiet");
      assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
    });
    await t.step("a wrong hash exits 1 with one error line and a summary", async () => {
      await Deno.remove(join(box.root, HOTDOG.path));
      const { code, stdout, stderr } = await run("--manifest", "bad.tsv", "--root", "root");
      assert.equal(code, 1);
      assert.equal(stdout, "");
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, stderr);
      assert.match(lines[0], /^Cannot copy .*10020170\.jpg from mirror: SHA-256 mismatch/);
      assert.equal(lines[1], "assets: 1 failed, 1 ok (1 present, 0 fetched); see the errors above");
    });
  },
});
