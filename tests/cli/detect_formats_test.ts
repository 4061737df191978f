import assert from "node:assert/strict";
import { busEncodings } from "../inference/_image_fixtures.ts";

const BUS = "tests/data/images/bus.jpg";

async function runCli(args: string[], stdin?: Uint8Array) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "cli/detect.ts", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  return { code: out.code, lines: text === "" ? [] : text.split("\n").map((l) => JSON.parse(l)) };
}

Deno.test("detect CLI reads PNG and WebP files and stdin like JPEG, and embeds them in SVGs", async () => {
  const { png, webp } = await busEncodings();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bus.png`, png);
    await Deno.writeFile(`${dir}/bus.webp`, webp);
    const files = await runCli(["--svg-dir", dir, BUS, `${dir}/bus.png`, `${dir}/bus.webp`]);
    assert.equal(files.code, 0);
    const [jpeg, fromPng, fromWebp] = files.lines;
    // The PNG holds the JPEG's decoded pixels exactly: the same line but for the file name.
    assert.deepEqual(fromPng.detections, jpeg.detections);
    assert.deepEqual(
      fromWebp.detections.map((d: { label: string }) => d.label).sort(),
      ["bus", "person", "person", "person"],
    );
    assert.match(await Deno.readTextFile(`${dir}/bus.png.svg`), /href="data:image\/png;base64,/);
    assert.match(await Deno.readTextFile(`${dir}/bus.webp.svg`), /data:image\/webp;base64,/);
    const stdin = await runCli(["-"], png);
    assert.equal(stdin.code, 0);
    assert.deepEqual(stdin.lines[0].detections, jpeg.detections);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
