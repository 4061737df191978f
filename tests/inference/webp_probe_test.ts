import assert from "node:assert/strict";
import { AppError } from "../../inference/errors.ts";
import { probeWebp } from "../../inference/webp_probe.ts";
import { busEncodings, imageChunk, riff, vp8Header, vp8x } from "./_image_fixtures.ts";

function refuses(bytes: Uint8Array, code: string, message: RegExp) {
  assert.throws(() => probeWebp(bytes), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("probeWebp() reads the size of lossy, lossless and extended WebP", async (t) => {
  const { webp, webpLossless } = await busEncodings();
  await t.step("VP8 (lossy)", () => {
    assert.deepEqual(probeWebp(webp), { width: 810, height: 1080, codec: "VP8", extended: false });
  });
  await t.step("VP8L (lossless)", () => {
    assert.deepEqual(probeWebp(webpLossless), {
      width: 810,
      height: 1080,
      codec: "VP8L",
      extended: false,
    });
  });
  await t.step("VP8X with an EXIF chunk before the image", () => {
    const extended = riff(["VP8X", vp8x(0x08, 810, 1080)], ["EXIF", [1, 2, 3]], imageChunk(webp));
    assert.deepEqual(probeWebp(extended), {
      width: 810,
      height: 1080,
      codec: "VP8",
      extended: true,
    });
  });
});

Deno.test("probeWebp() refuses bombs and animations by their headers", async (t) => {
  await t.step("a VP8 header claiming 16383x16383: 413", () => {
    refuses(riff(["VP8 ", vp8Header(16383, 16383)]), "too_many_pixels", /16383x16383 is 268\.4 MP/);
  });
  await t.step("a VP8X canvas of 16384x16384 over a small frame: 413", () => {
    const bytes = riff(["VP8X", vp8x(0, 16384, 16384)], ["VP8 ", vp8Header(16, 16)]);
    refuses(bytes, "too_many_pixels", /16384x16384/);
  });
  await t.step("a lossless header over the side limit: 413", () => {
    // 9000x1: width-1 = 8999 in the low 14 bits.
    const bits = 8999;
    refuses(riff(["VP8L", [0x2f, bits & 255, bits >> 8, 0, 0]]), "image_too_large", /9000x1/);
  });
  await t.step("animated WebP (VP8X flag): 415, refused, not first frame", () => {
    const bytes = riff(["VP8X", vp8x(0x02, 16, 16)], ["ANIM", new Array(6).fill(0)]);
    refuses(bytes, "unsupported_image", /animated WebP is not supported/);
  });
  await t.step("ANMF without the flag: 415 too", () => {
    refuses(riff(["ANMF", new Array(24).fill(0)]), "unsupported_image", /animated/);
  });
});

Deno.test("probeWebp() refuses broken structure with 422 corrupt_image", async (t) => {
  const { webp } = await busEncodings();
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated", webp.subarray(0, 1000), /truncated/],
    ["no image chunk", riff(["EXIF", [1, 2]]), /no VP8 or VP8L image chunk/],
    ["not a key frame", riff(["VP8 ", [0x11, ...vp8Header(8, 8).slice(1)]]), /not a key frame/],
    ["no start code", riff(["VP8 ", new Array(20).fill(0)]), /no VP8 start code/],
    ["a VP8L without its signature", riff(["VP8L", [0, 0, 0, 0, 0]]), /no VP8L signature/],
    ["zero size", riff(["VP8 ", vp8Header(0, 10)]), /size is 0x10/],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, () => {
      refuses(bytes, name === "zero size" ? "zero_dimensions" : "corrupt_image", message);
    });
  }
});
