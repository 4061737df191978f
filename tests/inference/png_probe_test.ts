import assert from "node:assert/strict";
import { AppError } from "../../inference/errors.ts";
import { probePng } from "../../inference/png_probe.ts";
import {
  busEncodings,
  chunk,
  concat,
  ihdr,
  makePng,
  pngBomb,
  SIGNATURE,
  withChunks,
} from "./_image_fixtures.ts";

function refuses(bytes: Uint8Array, code: string, message: RegExp) {
  assert.throws(() => probePng(bytes), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("probePng() reads IHDR of a real PNG and flags an APNG as animated", async (t) => {
  const { png } = await busEncodings();
  await t.step("a still PNG", () => {
    assert.deepEqual(probePng(png), {
      width: 810,
      height: 1080,
      bitDepth: 8,
      colorType: 6,
      interlaced: false,
      animated: false,
    });
  });
  await t.step("an APNG (acTL before IDAT)", () => {
    const apng = withChunks(png, chunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0]));
    assert.equal(probePng(apng).animated, true);
  });
});

Deno.test("probePng() refuses bombs by their header, without reading the pixels", async (t) => {
  await t.step("a real 30000x30000 PNG in about 110 kB: 413 too_many_pixels", () => {
    const bomb = pngBomb();
    assert.ok(bomb.length < 300_000, `${bomb.length} bytes`);
    refuses(bomb, "too_many_pixels", /30000x30000 is 900\.0 MP, over the 16\.8 MP limit/);
  });
  await t.step("a side over the limit: 413 image_too_large", () => {
    const tall = makePng({ width: 1, height: 9000, bitDepth: 8, colorType: 0 }, []);
    refuses(tall, "image_too_large", /1x9000 has a side over the 8192 px limit/);
  });
  await t.step("limits are the caller's", () => {
    const png = makePng({ width: 4, height: 4, bitDepth: 8, colorType: 0 }, []);
    assert.throws(() => probePng(png, { maxPixels: 15 }), /over the 0\.0 MP limit/);
  });
});

Deno.test("probePng() refuses broken structure with 422 corrupt_image", async (t) => {
  const good = makePng({ width: 2, height: 1, bitDepth: 8, colorType: 0 }, [[1, 2]]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["zero width", concat(SIGNATURE, ihdr(0, 5, 8, 0)), /size is 0x5/],
    ["a bad depth for the colour type", concat(SIGNATURE, ihdr(2, 2, 16, 3)), /bit depth 16/],
    ["IHDR cut short", good.subarray(0, 20), /inside the IHDR/],
    ["no IDAT", concat(SIGNATURE, ihdr(2, 2, 8, 0), chunk("IEND")), /IEND before any IDAT/],
    ["a chunk past the end", good.subarray(0, 50), /declares \d+ bytes, past the end/],
    [
      "a palette image without PLTE",
      makePng({ width: 1, height: 1, bitDepth: 8, colorType: 3 }, [[0]]),
      /PLTE/,
    ],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, () => {
      const code = name === "zero width" ? "zero_dimensions" : "corrupt_image";
      refuses(bytes, code, message);
    });
  }
});
