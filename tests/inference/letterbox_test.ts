import assert from "node:assert/strict";
import { letterbox, pyRound } from "../../inference/letterbox.ts";

/** An RGBA image whose red channel is given; green = red + 1, blue = red + 2. */
function rgba(width: number, height: number, red: number[]) {
  const data = new Uint8Array(width * height * 4);
  red.forEach((r, i) => data.set([r, r + 1, r + 2, 255], i * 4));
  return { width, height, data };
}

const PAD = 114 / 255;
const close = (a: number, b: number, eps = 1e-6) =>
  assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

Deno.test("pyRound() rounds halves to even, as Python's round() does", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, 79.9, 80.1, 2.4999].map(pyRound), [0, 2, 2, 0, 80, 80, 2]);
});

Deno.test("letterbox() upsamples with OpenCV INTER_LINEAR geometry", async (t) => {
  await t.step("a 2x1 row becomes 0, 25, 75, 100 at 4x width, as cv2.resize gives", () => {
    const out = letterbox(rgba(2, 1, [0, 100]), { width: 4, height: 2 });
    // r = min(4/2, 2/1) = 2: the row fills 4x2 exactly, no padding.
    assert.equal(out.padX, 0);
    assert.equal(out.padY, 0);
    const red = Array.from(out.tensor.subarray(0, 4), (v) => Math.round(v * 255));
    assert.deepEqual(red, [0, 25, 75, 100]);
    assert.deepEqual(Array.from(out.tensor.subarray(4, 8), (v) => Math.round(v * 255)), [
      0,
      25,
      75,
      100,
    ]);
  });
  await t.step("channels are planar RGB scaled to 0-1", () => {
    const out = letterbox(rgba(1, 1, [10]), { width: 1, height: 1 });
    close(out.tensor[0], 10 / 255);
    close(out.tensor[1], 11 / 255);
    close(out.tensor[2], 12 / 255);
  });
  await t.step("the same size is an exact copy", () => {
    const red = Array.from({ length: 12 }, (_, i) => i * 20);
    const out = letterbox(rgba(4, 3, red), { width: 4, height: 3 });
    assert.deepEqual(Array.from(out.tensor.subarray(0, 12), (v) => Math.round(v * 255)), red);
  });
  await t.step("downsampling 4 -> 2 averages neighbour pairs", () => {
    const out = letterbox(rgba(4, 1, [0, 100, 200, 250]), { width: 2, height: 1 });
    assert.deepEqual(Array.from(out.tensor.subarray(0, 2), (v) => Math.round(v * 255)), [50, 225]);
  });
});

Deno.test("letterbox() pads with 114 and keeps the aspect ratio, centred", async (t) => {
  await t.step("a portrait photo 810x1080 into 640x640 lands at x 80..560", () => {
    const img = { width: 810, height: 1080, data: new Uint8Array(810 * 1080 * 4).fill(200) };
    const out = letterbox(img, { width: 640, height: 640 });
    assert.equal(out.padX, 80);
    assert.equal(out.padY, 0);
    close(out.scaleX, 480 / 810);
    close(out.scaleY, 640 / 1080);
    close(out.tensor[79], PAD);
    close(out.tensor[80], 200 / 255);
    close(out.tensor[559], 200 / 255);
    close(out.tensor[560], PAD);
  });
  await t.step("a 3x1 strip into 4x4 is padded top and bottom like Ultralytics", () => {
    // r = 4/3 -> 4x1 (round(1.333)=1); dh = 1.5 -> top = round(1.4) = 1, bottom = 2.
    const out = letterbox(rgba(3, 1, [30, 60, 90]), { width: 4, height: 4 });
    assert.equal(out.padY, 1);
    const rows = [0, 1, 2, 3].map((y) => Array.from(out.tensor.subarray(y * 4, y * 4 + 4)));
    assert.ok(rows[0].every((v) => Math.abs(v - PAD) < 1e-6));
    assert.ok(rows[1].every((v) => Math.abs(v - PAD) > 1e-3));
    assert.ok(rows[2].every((v) => Math.abs(v - PAD) < 1e-6));
    assert.ok(rows[3].every((v) => Math.abs(v - PAD) < 1e-6));
  });
  await t.step("a custom pad value and a reused buffer", () => {
    const buf = new Float32Array(3 * 4 * 4).fill(-1);
    const out = letterbox(rgba(4, 1, [1, 2, 3, 4]), { width: 4, height: 4, pad: 0, out: buf });
    assert.equal(out.tensor, buf);
    assert.equal(buf[0], 0);
    assert.ok(buf.every((v) => v >= 0));
  });
});

Deno.test("letterbox() with a stride shrinks the padding as Ultralytics' auto letterbox", async (t) => {
  const flat = (w: number, h: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 4) });
  const cases = [
    // [source, target, stride] -> [tensor width, height, padX, padY]: np.mod(dw, 32) per axis.
    ["16:9 1280x720 into 320", [1280, 720], 320, [320, 192, 0, 6]],
    ["4:3 960x720 into 320", [960, 720], 320, [320, 256, 0, 8]],
    ["9:16 720x1280 into 320", [720, 1280], 320, [192, 320, 6, 0]],
    ["3:4 480x640 into 320", [480, 640], 320, [256, 320, 8, 0]],
    ["a square frame stays square", [720, 720], 320, [320, 320, 0, 0]],
    ["bus.jpg 810x1080 into 640", [810, 1080], 640, [480, 640, 0, 0]],
    ["a 2:1 strip 400x200 into 320", [400, 200], 320, [320, 160, 0, 0]],
  ] as const;
  for (const [name, [w, h], size, [ew, eh, px, py]] of cases) {
    await t.step(`${name} -> ${ew}x${eh}`, () => {
      const out = letterbox(flat(w, h), { width: size, height: size, stride: 32 });
      assert.deepEqual([out.width, out.height, out.padX, out.padY], [ew, eh, px, py]);
      assert.equal(out.tensor.length, 3 * ew * eh);
      // The scale is the full target's, as without the stride.
      const square = letterbox(flat(w, h), { width: size, height: size });
      assert.equal(out.scaleX, square.scaleX);
      assert.equal(out.scaleY, square.scaleY);
    });
  }
  await t.step("the picture lands inside the shrunk padding, rows 6..185 of 192", () => {
    const img = { width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 4).fill(200) };
    const out = letterbox(img, { width: 320, height: 320, stride: 32 });
    const at = (y: number) => out.tensor[y * 320 + 17];
    close(at(5), PAD);
    close(at(6), 200 / 255);
    close(at(185), 200 / 255);
    close(at(186), PAD);
  });
  await t.step("a square frame gives the same tensor with or without the stride", () => {
    const red = Array.from({ length: 36 }, (_, i) => i * 7);
    const a = letterbox(rgba(6, 6, red), { width: 64, height: 64, stride: 32 });
    const b = letterbox(rgba(6, 6, red), { width: 64, height: 64 });
    assert.deepEqual(a.tensor, b.tensor);
  });
  await t.step("a stride that is not a positive integer is refused", () => {
    for (const stride of [0, -32, 1.5]) {
      assert.throws(() => letterbox(flat(4, 4), { width: 32, height: 32, stride }), /stride/);
    }
  });
});

Deno.test("letterbox() samples through an orientation map without rotating the buffer", () => {
  // Stored 3x2 image; the map says "rotate 90° clockwise to display" (EXIF 6):
  // oriented (xo, yo) -> stored (yo, H - 1 - xo), seen size 2x3.
  const stored = rgba(3, 2, [10, 20, 30, 40, 50, 60]);
  const map = { ax: 0, bx: 1, cx: 0, ay: -1, by: 0, cy: 1 };
  const out = letterbox(stored, { width: 2, height: 3, map, orientedWidth: 2, orientedHeight: 3 });
  const red = Array.from(out.tensor.subarray(0, 6), (v) => Math.round(v * 255));
  // Rotating [[10,20,30],[40,50,60]] clockwise gives [[40,10],[50,20],[60,30]].
  assert.deepEqual(red, [40, 10, 50, 20, 60, 30]);
});

Deno.test("letterbox() refuses an empty image and a short buffer", () => {
  assert.throws(
    () => letterbox({ width: 0, height: 5, data: new Uint8Array() }, { width: 32, height: 32 }),
    /0x5/,
  );
  assert.throws(
    () => letterbox({ width: 2, height: 2, data: new Uint8Array(4) }, { width: 32, height: 32 }),
    /4 bytes/,
  );
});

/** Bilinear resize as the loop did with Math.round, straight from OpenCV's formula (no map). */
function reference(img: { width: number; height: number; data: Uint8Array }, w: number, h: number) {
  const tap = (src: number, dst: number, x: number) => {
    const f = (x + 0.5) * (src / dst) - 0.5;
    let s = Math.floor(f);
    let frac = f - s;
    if (s < 0) [s, frac] = [0, 0];
    if (s >= src - 1) [s, frac] = [src - 1, 0];
    return { s, t: Math.min(s + 1, src - 1), w: Math.fround(frac) };
  };
  const out = new Float32Array(3 * w * h);
  for (let y = 0; y < h; y++) {
    const ty = tap(img.height, h, y);
    for (let x = 0; x < w; x++) {
      const tx = tap(img.width, w, x);
      const at = (xx: number, yy: number, c: number) => img.data[(yy * img.width + xx) * 4 + c];
      for (let c = 0; c < 3; c++) {
        const v = at(tx.s, ty.s, c) * ((1 - tx.w) * (1 - ty.w)) +
          at(tx.t, ty.s, c) * (tx.w * (1 - ty.w)) +
          at(tx.s, ty.t, c) * ((1 - tx.w) * ty.w) +
          at(tx.t, ty.t, c) * (tx.w * ty.w);
        out[c * w * h + y * w + x] = Math.round(v) * (1 / 255);
      }
    }
  }
  return out;
}

Deno.test("letterbox() rounds as Math.round() does, bit for bit, on noise up and down", () => {
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
  for (
    const [sw, sh, w, h] of [[7, 5, 14, 10], [40, 20, 20, 10], [64, 48, 24, 18], [6, 4, 15, 10], [
      50,
      30,
      35,
      21,
    ]]
  ) {
    const img = { width: sw, height: sh, data: Uint8Array.from({ length: sw * sh * 4 }, next) };
    const out = letterbox(img, { width: w, height: h });
    assert.deepEqual(out.tensor, reference(img, w, h), `${sw}x${sh} -> ${w}x${h}`);
  }
});

Deno.test("letterbox() writes each level through `levels`, pad included", () => {
  const levels = [0, 1, 2].map((c) =>
    Float32Array.from({ length: 256 }, (_, k) => k * 10 + c)
  ) as unknown as [Float32Array, Float32Array, Float32Array];
  // 2x1 into 2x2: one row of picture, one of pad (top 0, bottom 1 after pyRound(0.5 - 0.1)).
  const out = letterbox(rgba(2, 1, [3, 7]), { width: 2, height: 2, levels }).tensor;
  const plain = letterbox(rgba(2, 1, [3, 7]), { width: 2, height: 2 }).tensor;
  const expected = Array.from(plain, (v, i) => Math.round(v * 255) * 10 + Math.floor(i / 4));
  assert.deepEqual(Array.from(out), expected);
});
