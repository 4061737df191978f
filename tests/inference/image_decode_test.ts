import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { AppError } from "../../inference/errors.ts";
import { decodeImage, decodeProbedImage } from "../../inference/image_decode.ts";
import { probeImage } from "../../inference/image_probe.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { pngCodec } from "../../inference/png_decode.ts";
import { webpCodec } from "../../inference/webp_decode.ts";
import { bus } from "./_jpeg_fixtures.ts";
import {
  busEncodings,
  chunk,
  makePng,
  pngBomb,
  riff,
  vp8Header,
  withChunks,
} from "./_image_fixtures.ts";

const refusal = (code: string, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, code);
  assert.match(err.message, message);
  return true;
};

function meanAbsDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) sum += Math.abs(a[i] - b[i]);
  return sum / (a.length * 0.75);
}

Deno.test("decodeImage() decodes PNG and WebP encodes of a real photo to its pixels", async (t) => {
  const { pixels, png, webp, webpLossless } = await busEncodings();
  await t.step("PNG: the same RGBA, byte for byte", async () => {
    const image = await decodeImage(png);
    assert.equal(image.info.format, "png");
    assert.deepEqual([image.width, image.height], [810, 1080]);
    assert.deepEqual(image.data, pixels.data);
  });
  await t.step("lossless WebP: the same RGBA", async () => {
    const image = await decodeImage(webpLossless);
    assert.equal(image.info.format, "webp");
    assert.deepEqual(image.data, pixels.data);
  });
  await t.step("lossy WebP at quality 90: close to the photo", async () => {
    const image = await decodeImage(webp);
    const diff = meanAbsDiff(image.data, pixels.data);
    assert.ok(diff > 0 && diff < 4, `mean abs diff ${diff}`);
  });
  await t.step("an APNG: its first frame (the default image), not refused", async () => {
    const apng = withChunks(png, chunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0]));
    assert.deepEqual((await decodeImage(apng)).data, pixels.data);
  });
});

Deno.test("decodeProbedImage() decodes with the caller's probe as decodeImage() does", async (t) => {
  const { png, webp } = await busEncodings();
  for (const [format, bytes] of Object.entries({ jpeg: bus(), png, webp })) {
    await t.step(format, async () => {
      const probe = probeImage(bytes, DEFAULTS_LIMITS);
      const once = await decodeProbedImage(bytes, probe);
      const twice = await decodeImage(bytes, DEFAULTS_LIMITS);
      assert.equal(once.info, probe);
      assert.deepEqual([once.width, once.height], [twice.width, twice.height]);
      assert.deepEqual(once.data, twice.data);
    });
  }
});

const DEFAULTS_LIMITS = { maxPixels: DEFAULTS.MAX_PIXELS, maxSide: DEFAULTS.MAX_SIDE };

Deno.test("decodeImage() turns every PNG colour type and depth into 8-bit RGBA", async (t) => {
  const cases: [string, Parameters<typeof makePng>, number[]][] = [
    [
      "16-bit grey (high byte kept)",
      [{ width: 2, height: 1, bitDepth: 16, colorType: 0 }, [[0x80, 0x40, 0xff, 0xff]]],
      [0x80, 0x80, 0x80, 255, 255, 255, 255, 255],
    ],
    [
      "2-bit palette",
      [{ width: 2, height: 1, bitDepth: 2, colorType: 3 }, [[0b0001_0000]], [
        chunk("PLTE", [10, 20, 30, 40, 50, 60]),
      ]],
      [10, 20, 30, 255, 40, 50, 60, 255],
    ],
    [
      "grey + alpha",
      [{ width: 1, height: 1, bitDepth: 8, colorType: 4 }, [[200, 7]]],
      [200, 200, 200, 7],
    ],
    [
      "1-bit grey",
      [{ width: 3, height: 1, bitDepth: 1, colorType: 0 }, [[0b1010_0000]]],
      [255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255],
    ],
  ];
  for (const [name, args, rgba] of cases) {
    await t.step(name, async () => {
      assert.deepEqual([...(await decodeImage(makePng(...args))).data], rgba);
    });
  }
});

Deno.test("decodeImage() refuses bombs before the decoder sees them", async (t) => {
  await t.step("30000x30000 PNG: 413, the PNG decoder never called", async () => {
    const before = pngCodec.stats.calls;
    await assert.rejects(() => decodeImage(pngBomb()), refusal("too_many_pixels", /30000x30000/));
    assert.equal(pngCodec.stats.calls, before);
  });
  await t.step("WebP header claiming 16383x16383: 413, the WebP decoder never called", async () => {
    const before = webpCodec.stats.calls;
    await assert.rejects(
      () => decodeImage(riff(["VP8 ", vp8Header(16383, 16383)])),
      refusal("too_many_pixels", /16383x16383/),
    );
    assert.equal(webpCodec.stats.calls, before);
  });
});

Deno.test("decodeImage() reports broken data as 422 and keeps decoding", async (t) => {
  const { png, webp, pixels } = await busEncodings();
  await t.step("a PNG whose IDAT is garbage", async () => {
    const resets = pngCodec.stats.resets;
    const broken = png.slice();
    broken.fill(0x55, 200, 4000);
    await assert.rejects(() => decodeImage(broken), refusal("corrupt_image", /Cannot decode PNG/));
    // The failed instance is dropped; the next image decodes on a fresh one.
    assert.equal(pngCodec.stats.resets, resets + 1);
    assert.deepEqual((await decodeImage(png)).data, pixels.data);
  });
  await t.step("a WebP whose frame is junk", async () => {
    await assert.rejects(
      () => decodeImage(riff(["VP8 ", vp8Header(64, 64)])),
      refusal("corrupt_image", /Cannot decode WebP/),
    );
    assert.equal((await decodeImage(webp)).width, 810);
  });
  await t.step("not an image at all: 415 naming the three formats", async () => {
    await assert.rejects(
      () => decodeImage(new TextEncoder().encode("GIF89a....")),
      refusal("not_image", /input is a GIF, not a JPEG, PNG or WebP/),
    );
  });
});

Deno.test("decodeImage() gives back a PNG decoder's memory after a 16.8 MP image", async () => {
  // 4096x4096 grey: 67 MB of RGBA grows the instance past the 64 MiB it may keep.
  const side = 4096;
  const big = makePng(
    { width: side, height: side, bitDepth: 8, colorType: 0 },
    Array.from({ length: side }, () => new Array(side).fill(9)),
  );
  const resets = pngCodec.stats.resets;
  const image = await decodeImage(big);
  assert.equal(image.data[4 * side * side - 2], 9);
  assert.equal(pngCodec.stats.resets, resets + 1);
  assert.equal(pngCodec.stats.heapBytes, 0);
});

Deno.test("Detector finds the same objects in the bus photo as JPEG, PNG and WebP", async () => {
  const { png, webp, webpLossless } = await busEncodings();
  const detector = await loadDetector(DEFAULTS);
  try {
    const fromJpeg = (await detector.detect(bus())).detections;
    for (const bytes of [png, webpLossless]) {
      // Identical pixels: identical detections.
      assert.deepEqual((await detector.detect(bytes)).detections, fromJpeg);
    }
    const lossy = (await detector.detect(webp)).detections;
    assert.deepEqual(lossy.map((d) => d.label), fromJpeg.map((d) => d.label));
    for (const [i, d] of lossy.entries()) {
      assert.ok(Math.abs(d.score - fromJpeg[i].score) < 0.05, `${d.label} ${d.score}`);
    }
  } finally {
    await detector.close();
  }
});
