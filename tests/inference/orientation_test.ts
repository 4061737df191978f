import assert from "node:assert/strict";
import {
  isOrientation,
  type Orientation,
  orientedSize,
  orientedToStored,
  orientImage,
  type RgbaImage,
} from "../../inference/orientation.ts";

const ALL: Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

/** A w x h image whose pixel (x, y) is [x, y, 100 + y * w + x, 255], so every pixel is unique. */
function labelled(w: number, h: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set([x, y, 100 + y * w + x, 255], (y * w + x) * 4);
  }
  return { width: w, height: h, data };
}

/** The image as rows of letters, A for stored pixel (0, 0), B for (1, 0) and so on. */
function letters(img: RgbaImage): string[] {
  const rows: string[] = [];
  for (let y = 0; y < img.height; y++) {
    let row = "";
    for (let x = 0; x < img.width; x++) {
      row += String.fromCharCode(65 + img.data[(y * img.width + x) * 4 + 2] - 100);
    }
    rows.push(row);
  }
  return rows;
}

Deno.test("orientImage() shows each EXIF orientation as the spec describes it", () => {
  // Stored:  ABC
  //          DEF
  const expected: Record<Orientation, string[]> = {
    1: ["ABC", "DEF"], // normal
    2: ["CBA", "FED"], // mirrored horizontally
    3: ["FED", "CBA"], // rotated 180
    4: ["DEF", "ABC"], // mirrored vertically
    5: ["AD", "BE", "CF"], // transposed (mirror across the main diagonal)
    6: ["DA", "EB", "FC"], // stored rotated 90 CW to display: its first row becomes the right column
    7: ["FC", "EB", "DA"], // transverse (mirror across the anti-diagonal)
    8: ["CF", "BE", "AD"], // stored rotated 90 CCW (270 CW): its first row becomes the left column
  };
  for (const o of ALL) {
    assert.deepEqual(letters(orientImage(labelled(3, 2), o)), expected[o], `orientation ${o}`);
  }
});

Deno.test("orientedToStored() finds every oriented pixel's stored pixel", async (t) => {
  for (const [w, h] of [[3, 2], [2, 3], [1, 1], [5, 1], [4, 7]]) {
    await t.step(`a ${w}x${h} image in all 8 orientations`, () => {
      const stored = labelled(w, h);
      for (const o of ALL) {
        const seen = orientImage(stored, o);
        const m = orientedToStored(o, w, h);
        assert.deepEqual([seen.width, seen.height], Object.values(orientedSize(w, h, o)));
        for (let yo = 0; yo < seen.height; yo++) {
          for (let xo = 0; xo < seen.width; xo++) {
            const xs = m.ax * xo + m.bx * yo + m.cx;
            const ys = m.ay * xo + m.by * yo + m.cy;
            assert.ok(
              xs >= 0 && xs < w && ys >= 0 && ys < h,
              `o${o} (${xo},${yo}) -> (${xs},${ys})`,
            );
            const a = seen.data.subarray(
              (yo * seen.width + xo) * 4,
              (yo * seen.width + xo) * 4 + 4,
            );
            const b = stored.data.subarray((ys * w + xs) * 4, (ys * w + xs) * 4 + 4);
            assert.deepEqual(a, b, `orientation ${o}, oriented (${xo},${yo})`);
          }
        }
      }
    });
  }
});

Deno.test("orientedToStored() works on pixel indices, so centres map to centres", async (t) => {
  await t.step("orientation 3 sends oriented (0, 0) to stored (W-1, H-1)", () => {
    const m = orientedToStored(3, 640, 480);
    assert.deepEqual([m.cx, m.cy], [639, 479]);
  });
  await t.step("the centre of the seen image is the centre of the stored one", () => {
    for (const o of ALL) {
      const [w, h] = [640, 480];
      const seen = orientedSize(w, h, o);
      const m = orientedToStored(o, w, h);
      const [xo, yo] = [(seen.width - 1) / 2, (seen.height - 1) / 2];
      assert.equal(m.ax * xo + m.bx * yo + m.cx, (w - 1) / 2, `orientation ${o}`);
      assert.equal(m.ay * xo + m.by * yo + m.cy, (h - 1) / 2, `orientation ${o}`);
    }
  });
  await t.step("every coefficient is an integer with unit steps along one axis", () => {
    for (const o of ALL) {
      const m = orientedToStored(o, 7, 5);
      assert.ok(Object.values(m).every(Number.isInteger), `orientation ${o}`);
      assert.equal(Math.abs(m.ax) + Math.abs(m.bx), 1);
      assert.equal(Math.abs(m.ay) + Math.abs(m.by), 1);
    }
  });
});

Deno.test("orientImage() undoes itself where the spec says it should", () => {
  const img = labelled(4, 3);
  // Flips and transposes are their own inverse; 6 (90 CW) and 8 (90 CCW) undo each other.
  const inverse: Record<Orientation, Orientation> = {
    1: 1,
    2: 2,
    3: 3,
    4: 4,
    5: 5,
    6: 8,
    7: 7,
    8: 6,
  };
  for (const o of ALL) {
    assert.deepEqual(orientImage(orientImage(img, o), inverse[o]), img, `orientation ${o}`);
  }
});

Deno.test("orientImage() accepts unaligned views and refuses a wrong buffer size", () => {
  const img = labelled(3, 2);
  const shifted = new Uint8Array(img.data.length + 1);
  shifted.set(img.data, 1);
  const view = { width: 3, height: 2, data: shifted.subarray(1) };
  assert.deepEqual(orientImage(view, 6), orientImage(img, 6));
  assert.throws(
    () => orientImage({ width: 3, height: 3, data: img.data }, 1),
    /Cannot orient image: 3x3 needs 36 bytes, got 24/,
  );
});

Deno.test("isOrientation() accepts only 1-8", () => {
  assert.deepEqual([0, 1, 8, 9, 1.5, NaN].map(isOrientation), [
    false,
    true,
    true,
    false,
    false,
    false,
  ]);
});
