/** The overlay's geometry, pure: content rects for each object-fit and the overlay's placement. */
import assert from "node:assert/strict";
import { contentRect, overlayPlacement, snapshotScale } from "../../static/geometry.js";

function assertNear(actual: Record<string, number>, expected: Record<string, number>) {
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(Math.abs(actual[key] - value) < 0.01, `${key}: ${actual[key]} is not ${value}`);
  }
}

const BOX = { left: 10, top: 20, width: 400, height: 300 };

Deno.test("snapshotScale() fits the longest side to the snapshot size, never enlarging", () => {
  assert.equal(snapshotScale({ width: 1280, height: 720 }, 320), 0.25);
  assert.equal(snapshotScale({ width: 720, height: 1280 }, 640), 0.5);
  assert.equal(snapshotScale({ width: 200, height: 100 }, 320), 1);
});

Deno.test("contentRect() places the picture's pixels inside the element", async (t) => {
  await t.step("contain letterboxes a square picture left and right, centred", () => {
    const rect = contentRect(BOX, { width: 320, height: 320, fit: "contain" });
    assert.deepEqual(rect, { left: 60, top: 20, width: 300, height: 300 });
  });
  await t.step("cover crops a wide picture in a portrait box, centred off both sides", () => {
    const phone = { left: 0, top: 0, width: 360, height: 740 };
    const rect = contentRect(phone, { width: 1280, height: 720, fit: "cover" });
    // Scaled by 740/720 to fill the height; 1315.6 px wide, so 477.8 px hang off each side.
    assertNear(rect, { left: -477.78, top: 0, width: 1315.56, height: 740 });
  });
  await t.step("fill stretches the picture to the box", () => {
    const rect = contentRect(BOX, { width: 320, height: 320, fit: "fill" });
    assert.deepEqual(rect, BOX);
  });
  await t.step("none keeps the natural size, centred", () => {
    const rect = contentRect(BOX, { width: 100, height: 50, fit: "none" });
    assert.deepEqual(rect, { left: 160, top: 145, width: 100, height: 50 });
  });
  await t.step("scale-down keeps a small picture natural and shrinks a large one", () => {
    const small = contentRect(BOX, { width: 100, height: 50, fit: "scale-down" });
    assert.deepEqual(small, { left: 160, top: 145, width: 100, height: 50 });
    const large = contentRect(BOX, { width: 800, height: 800, fit: "scale-down" });
    assert.deepEqual(large, contentRect(BOX, { width: 800, height: 800, fit: "contain" }));
  });
});

Deno.test("overlayPlacement() is the content rect relative to the stage, with --u", async (t) => {
  await t.step("the stage's offset is taken off and a downsampled snapshot's unit kept", () => {
    const place = overlayPlacement(BOX, {
      stage: { left: 10, top: 5 },
      width: 1280,
      height: 720,
      fit: "contain",
      snapshotSize: 320,
    });
    // 1280x720 in 400x300: 400x225, 37.5 px down; the snapshot is 320 wide.
    assert.deepEqual(place, { left: 0, top: 52.5, width: 400, height: 225, unit: 320 / 400 });
  });
  await t.step("a picture smaller than the snapshot size is sent as it is", () => {
    const place = overlayPlacement(BOX, {
      stage: { left: 0, top: 0 },
      width: 200,
      height: 150,
      fit: "contain",
      snapshotSize: 320,
    });
    assert.equal(place.width, 400);
    assert.equal(place.unit, 200 / 400);
  });
});
