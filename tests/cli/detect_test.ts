import assert from "node:assert/strict";

const BUS = "tests/data/images/bus.jpg";

async function runCli(args: string[], stdin?: Uint8Array) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "cli/detect.ts", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  return {
    code: out.code,
    lines: text.trim() === "" ? [] : text.trim().split("\n").map((l) => JSON.parse(l)),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("detect CLI prints one JSON line per input and exits 1 when one fails", async () => {
  const tmp = await Deno.makeTempFile({ suffix: ".jpg" });
  await Deno.writeTextFile(tmp, "this is not a JPEG");
  try {
    // The square letterbox at 640 is the bus reference's input (auto finds a fifth person).
    const { code, lines, stderr } = await runCli([
      "--size",
      "640",
      "--letterbox",
      "square",
      BUS,
      tmp,
      "missing.jpg",
    ]);
    assert.equal(code, 1, stderr);
    assert.equal(lines.length, 3);
    assert.equal(lines[0].file, BUS);
    assert.equal(lines[0].width, 810);
    const labels = lines[0].detections.map((d: { label: string }) => d.label).sort();
    assert.deepEqual(labels, ["bus", "person", "person", "person"]);
    assert.equal(lines[1].file, tmp);
    assert.equal(lines[1].error.code, "not_image");
    assert.match(lines[1].error.message, /JPEG/);
    assert.equal(lines[2].error.code, "bad_request");
    assert.match(lines[2].error.message, /Cannot read missing\.jpg/);
    assert.equal(stderr, "", "decoder warnings must not leak to stderr");
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("detect CLI reads an image from standard input with -", async () => {
  const { code, lines } = await runCli(["--conf", "0.6", "-"], await Deno.readFile(BUS));
  assert.equal(code, 0);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].file, "-");
  assert.ok(lines[0].detections.every((d: { score: number }) => d.score > 0.6));
});

Deno.test("detect CLI writes an annotated SVG per input with --svg-dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { code } = await runCli(["--svg-dir", dir, BUS]);
    assert.equal(code, 0);
    const svg = await Deno.readTextFile(`${dir}/bus.jpg.svg`);
    assert.match(svg, /^<\?xml/);
    assert.match(svg, /<image href="data:image\/jpeg;base64,\/9j\//);
    assert.ok((svg.match(/<rect /g) ?? []).length >= 4);
    assert.match(svg, /viewBox="0 0 810 1080"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detect CLI rejects bad flags with a usage message and exit 2", async (t) => {
  for (const args of [["--conf", "2", BUS], ["--size", "300", BUS], ["--bogus"], []]) {
    await t.step(args.join(" ") || "(no arguments)", async () => {
      const { code, lines, stderr } = await runCli(args);
      assert.equal(code, 2);
      assert.equal(lines.length, 0);
      assert.match(stderr, /^detect: /);
    });
  }
});
