import assert from "node:assert/strict";
import { AppError, type ErrorCode } from "../../inference/errors.ts";
import { decodeJpeg, jpegDecoderStats } from "../../inference/jpeg_decode.ts";
import { probeJpeg } from "../../inference/jpeg_probe.ts";
import {
  afterSoi,
  bus,
  concat,
  encoded,
  exif,
  FOOD,
  jpegsUnder,
  scanBomb,
  withComponents,
  withSize,
  withSofByte,
  withSofMarker,
} from "./_jpeg_fixtures.ts";

async function rejects(bytes: Uint8Array, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(decodeJpeg(bytes), (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

/** Bytes the probe passes but libjpeg rejects with a fatal error. */
const undefinedQuantTable = () => withSofByte(bus(), 8, 3);
/** The scan cut short but closed with an EOI: libjpeg warns and fills the rest with grey. */
const shortScan = () => concat(bus().subarray(0, 20_000), new Uint8Array([0xff, 0xd9]));

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

Deno.test("decodeJpeg() decodes real photos to RGBA at the probed size", async (t) => {
  await t.step("bus.jpg is 810x1080 RGBA, as stored", async () => {
    const img = await decodeJpeg(bus());
    assert.deepEqual([img.width, img.height], [810, 1080]);
    assert.equal(img.data.length, 810 * 1080 * 4);
    assert.ok(img.data instanceof Uint8ClampedArray);
    assert.equal(img.info.process, "baseline");
    assert.ok(img.data.every((v, i) => i % 4 !== 3 || v === 255), "alpha is opaque");
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      await decodeJpeg(bus());
      times.push(performance.now() - start);
    }
    console.log(`decodeJpeg(bus.jpg): median ${median(times).toFixed(1)} ms over 15 runs`);
  });

  await t.step("every food photo decodes to exactly the size the probe read", async () => {
    const files = jpegsUnder(FOOD);
    assert.ok(files.length > 600, `only ${files.length} photos under ${FOOD}`);
    const before = jpegDecoderStats();
    const start = performance.now();
    for (const file of files) {
      const bytes = Deno.readFileSync(file);
      const img = await decodeJpeg(bytes);
      const info = probeJpeg(bytes);
      assert.deepEqual([img.width, img.height], [info.width, info.height], file);
    }
    const ms = (performance.now() - start) / files.length;
    console.log(`decodeJpeg: ${ms.toFixed(2)} ms per food photo over ${files.length} photos`);
    assert.equal(jpegDecoderStats().failures, before.failures);
  });

  await t.step("progressive files decode to the same picture as baseline ones", async () => {
    const base = await decodeJpeg(await encoded(96, 64));
    const prog = await decodeJpeg(await encoded(96, 64, { progressive: true }));
    assert.equal(prog.info.process, "progressive");
    assert.deepEqual([prog.width, prog.height], [96, 64]);
    let diff = 0;
    for (let i = 0; i < base.data.length; i++) diff += Math.abs(base.data[i] - prog.data[i]);
    assert.ok(diff / base.data.length < 2, `mean difference ${diff / base.data.length}`);
  });

  await t.step("greyscale files decode to grey RGBA", async () => {
    const img = await decodeJpeg(await encoded(32, 16, { grey: true }));
    assert.equal(img.info.components, 1);
    for (let i = 0; i < img.data.length; i += 4) {
      assert.ok(img.data[i] === img.data[i + 1] && img.data[i] === img.data[i + 2]);
    }
  });

  await t.step("EXIF orientation is reported but the pixels stay as stored", async () => {
    const plain = await decodeJpeg(bus());
    const turned = await decodeJpeg(afterSoi(bus(), exif(6)));
    assert.equal(turned.info.orientation, 6);
    assert.deepEqual([turned.info.orientedWidth, turned.info.orientedHeight], [1080, 810]);
    assert.deepEqual([turned.width, turned.height], [810, 1080]);
    assert.deepEqual(turned.data, plain.data);
  });
});

Deno.test("decodeJpeg() refuses hostile input before the WASM decoder sees it", async (t) => {
  await decodeJpeg(bus()); // a live instance, so its memory can be watched
  const hostile: [string, Uint8Array, ErrorCode, RegExp][] = [
    ["30000x30000", withSize(bus(), 30000, 30000), "too_many_pixels", /900\.0 MP/],
    ["65500x65500", withSize(bus(), 65500, 65500), "too_many_pixels", /4290\.3 MP/],
    ["0x0", withSize(bus(), 0, 0), "zero_dimensions", /0x0/],
    ["9000x100", withSize(bus(), 9000, 100), "image_too_large", /8192 px/],
    ["SOF9", withSofMarker(bus(), 0xc9), "unsupported_jpeg", /arithmetic/],
    ["SOF10", withSofMarker(bus(), 0xca), "unsupported_jpeg", /arithmetic/],
    ["SOF3", withSofMarker(bus(), 0xc3), "unsupported_jpeg", /lossless/],
    ["12-bit", withSofByte(bus(), 0, 12), "unsupported_jpeg", /12-bit/],
    ["CMYK", withComponents(bus(), 4), "unsupported_jpeg", /CMYK/],
    ["a PNG", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), "not_jpeg", /a PNG/],
    ["text", new TextEncoder().encode("GET / HTTP/1.1"), "not_jpeg", /is text/],
    ["empty", new Uint8Array(), "empty_input", /0 bytes/],
    [
      "SOI + garbage",
      concat(bus().subarray(0, 2), new Uint8Array(64).fill(7)),
      "corrupt_jpeg",
      /marker/,
    ],
    ["truncated in the headers", bus().subarray(0, 300), "corrupt_jpeg", /truncated/],
    ["truncated mid-scan", bus().subarray(0, 20_000), "corrupt_jpeg", /no EOI marker.*20000 bytes/],
  ];
  const before = jpegDecoderStats();
  for (const [name, bytes, code, message] of hostile) {
    await t.step(name, () => rejects(bytes, code, message));
  }
  await t.step("none of them reached the decoder or grew its memory", () => {
    const after = jpegDecoderStats();
    assert.equal(after.calls, before.calls);
    assert.equal(after.heapBytes, before.heapBytes);
  });
  await t.step("refusing 65500x65500 takes microseconds", async () => {
    const bytes = withSize(bus(), 65500, 65500);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      await decodeJpeg(bytes).catch(() => {});
      times.push(performance.now() - start);
    }
    const us = median(times) * 1000;
    console.log(`decodeJpeg(65500x65500): refused in ${us.toFixed(1)} µs (median of 200)`);
    assert.ok(us < 1000, `${us} µs`);
  });
});

Deno.test("decodeJpeg() turns decoder failures into AppErrors with libjpeg's words", async (t) => {
  await t.step("a fatal libjpeg error is corrupt_jpeg with its message", async () => {
    await rejects(
      undefinedQuantTable(),
      "corrupt_jpeg",
      /^Cannot decode JPEG: Quantization table 0x03 was not defined$/,
    );
  });
  await t.step("junk inside the scan is corrupt_jpeg", async () => {
    const junk = bus();
    junk.fill(0xff, 30_000, 30_200);
    await rejects(junk, "corrupt_jpeg", /^Cannot decode JPEG: /);
  });
  await t.step("a scan cut short is refused, not returned half grey", async () => {
    await rejects(shortScan(), "corrupt_jpeg", /premature end of data segment/);
  });
  await t.step("a failed instance is replaced, so failures leak no WASM memory", async () => {
    const before = jpegDecoderStats();
    for (let i = 0; i < 40; i++) await decodeJpeg(undefinedQuantTable()).catch(() => {});
    const img = await decodeJpeg(bus());
    assert.equal(img.width, 810);
    const after = jpegDecoderStats();
    assert.equal(after.failures - before.failures, 40);
    assert.ok(after.resets - before.resets >= 40);
    // Without the reset, each failure strands its input copy: ~40 x 490 KB here.
    assert.ok(after.heapBytes <= 17 * 2 ** 20, `${after.heapBytes} bytes of WASM memory`);
  });
  await t.step("concurrent calls each get their own result and error", async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => i % 3 === 1 ? undefinedQuantTable() : bus());
    const results = await Promise.allSettled(jobs.map((b) => decodeJpeg(b)));
    results.forEach((r, i) => {
      if (i % 3 === 1) {
        assert.equal(r.status, "rejected");
        assert.match((r as PromiseRejectedResult).reason.message, /Quantization table 0x03/);
      } else {
        assert.equal(r.status, "fulfilled");
        assert.equal((r as PromiseFulfilledResult<{ width: number }>).value.width, 810);
      }
    });
  });
  await t.step("a big image's memory is handed back after the decode", async () => {
    // Progressive decoding buffers every coefficient: this one peaks at 115 MiB.
    const big = await encoded(4000, 3000, { progressive: true });
    const img = await decodeJpeg(big);
    assert.deepEqual([img.width, img.height], [4000, 3000]);
    assert.equal(jpegDecoderStats().heapBytes, 0, "the big instance was dropped");
    assert.equal((await decodeJpeg(bus())).width, 810);
    assert.ok(jpegDecoderStats().heapBytes <= 17 * 2 ** 20);
  });
});

Deno.test("decodeJpeg() refuses a scan bomb without calling the decoder", async () => {
  const bomb = scanBomb(await encoded(1024, 768, { progressive: true }), 20_000);
  const before = jpegDecoderStats().calls;
  const start = performance.now();
  await rejects(bomb, "corrupt_jpeg", /is sent again \(a repeated scan\)/);
  const ms = performance.now() - start;
  console.log(`scan bomb of ${bomb.length} bytes (20,007 scans) refused in ${ms.toFixed(2)} ms`);
  assert.equal(jpegDecoderStats().calls, before);
  assert.ok(ms < 100, `${ms} ms`);
});

Deno.test("decodeJpeg() sees a truncation behind an earlier harmless warning", async (t) => {
  // libjpeg prints only its first warning: junk between scans must not hide a cut scan.
  const progressive = await encoded(512, 384, { progressive: true });
  const sos: number[] = [];
  for (let i = 2; i < progressive.length - 1; i++) {
    if (progressive[i] === 0xff && progressive[i + 1] === 0xda) sos.push(i);
  }
  const junk = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
  // Seven bytes right after the first scan's data, before the tables of the second: libjpeg
  // skips them with a warning, and the probe cannot tell them from entropy-coded data.
  let after = sos[0] + 4;
  while (!(progressive[after] === 0xff && progressive[after + 1] === 0xc4)) after++;
  const withJunk = concat(progressive.subarray(0, after), junk, progressive.subarray(after));
  const eoi = new Uint8Array([0xff, 0xd9]);
  // Half of the second scan (the luma's AC, the biggest), then EOI: a download cut short.
  const half = Math.floor((sos[2] - sos[1]) / 2);
  await t.step("junk early, a later scan cut short and closed with EOI: 422", async () => {
    const truncated = concat(withJunk.subarray(0, sos[1] + junk.length + half), eoi);
    await rejects(truncated, "corrupt_jpeg", /7 extraneous bytes before marker 0xc4/);
  });
  await t.step("the same cut without the junk: 422 for the premature end", async () => {
    const truncated = concat(progressive.subarray(0, sos[1] + half), eoi);
    await rejects(truncated, "corrupt_jpeg", /premature end/);
  });
  await t.step("junk between scans alone is refused too: what follows is unvouched", async () => {
    await rejects(
      withJunk,
      "corrupt_jpeg",
      /^Cannot decode JPEG: Corrupt JPEG data: 7 extraneous bytes before marker 0xc4$/,
    );
  });
  await t.step("padding before EOI is harmless: nothing follows it", async () => {
    const padded = concat(progressive.subarray(0, progressive.length - 2), junk, eoi);
    const img = await decodeJpeg(padded);
    assert.deepEqual([img.width, img.height], [512, 384]);
  });
});

Deno.test("decodeJpeg() keeps libjpeg's messages out of the process's stderr", async (t) => {
  const run = async (code: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  const fixtures = `
    const bus = Deno.readFileSync(${
    JSON.stringify(Deno.realPathSync("tests/data/images/bus.jpg"))
  });
    const quant = bus.slice();
    for (let p = 2; ; p += 2 + ((quant[p + 2] << 8) | quant[p + 3])) {
      if (quant[p + 1] === 0xc0) { quant[p + 12] = 3; break; }
    }
    const short = new Uint8Array(20002);
    short.set(bus.subarray(0, 20000));
    short.set([0xff, 0xd9], 20000);
    const bad = [quant, short, bus.subarray(0, 20000)];
  `;
  await t.step("three failed decodes print nothing to stderr", async () => {
    const url = new URL("../../inference/jpeg_decode.ts", import.meta.url).href;
    const result = await run(`
      import { decodeJpeg } from ${JSON.stringify(url)};
      ${fixtures}
      for (const b of bad) await decodeJpeg(b).catch((e) => console.log(e.code));
    `);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, "corrupt_jpeg\ncorrupt_jpeg\ncorrupt_jpeg\n");
  });
  await t.step("(control: the bare decoder does print them)", async () => {
    const result = await run(`
      import decode from "@jsquash/jpeg/decode.js";
      ${fixtures}
      for (const b of bad) await decode(b).catch(() => {});
    `);
    assert.match(result.stderr, /Quantization table 0x03 was not defined/);
    assert.match(result.stderr, /premature end of data segment/);
  });
});
