import assert from "node:assert/strict";
import encode from "@jsquash/jpeg/encode.js";
import { DEFAULTS } from "../../../config.ts";
import { decodeJpeg } from "../../../inference/jpeg_decode.ts";
import { loadDetector } from "../../../inference/load_detector.ts";
import { headScore } from "../../../inference/verdict/head.ts";
import { IMAGENET_FOODS } from "../../../inference/verdict/imagenet_food.ts";
import { loadVerdictModel } from "../../../inference/verdict/model.ts";
import { listPhotos } from "../../_photos.ts";

const BUS = "tests/data/images/bus.jpg";
// The asset README's boxes on bus.jpg (810x1080): three people and the bus.
const PEOPLE = [[219, 408, 349, 863], [52, 399, 207, 895], [680, 377, 810, 870]];

/** A JPEG of a rectangle of the bus photo's decoded pixels. */
async function busCrop(x1: number, y1: number, x2: number, y2: number): Promise<Uint8Array> {
  const bus = await decodeJpeg(await Deno.readFile(BUS));
  const width = x2 - x1;
  const height = y2 - y1;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const from = ((y + y1) * bus.width + x1) * 4;
    data.set(bus.data.subarray(from, from + width * 4), y * width * 4);
  }
  return new Uint8Array(await encode({ width, height, data, colorSpace: "srgb" } as ImageData));
}

async function greyFrame(): Promise<Uint8Array> {
  const data = new Uint8ClampedArray(640 * 480 * 4).fill(128);
  return new Uint8Array(
    await encode({ width: 640, height: 480, data, colorSpace: "srgb" } as ImageData),
  );
}

Deno.test("Non-food scenes stay Not Hotdog whether or not the classifier is asked", async (t) => {
  const scenes: [string, () => Promise<Uint8Array>][] = [
    ["a grey frame", greyFrame],
    ["the bus photo", () => Deno.readFile(BUS)],
    ["the street above the bus", () => busCrop(0, 0, 810, 300)],
    ["the street below the bus", () => busCrop(0, 760, 810, 1080)],
    ...PEOPLE.map((b, i): [string, () => Promise<Uint8Array>] => [
      `person ${i + 1}`,
      () => busCrop(b[0], b[1], b[2], b[3]),
    ]),
    ["the three people together", () => busCrop(52, 377, 810, 895)],
  ];
  for (const mode of ["auto", "always"] as const) {
    const detector = await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: mode });
    try {
      for (const [name, bytes] of scenes) {
        await t.step(`${name} (${mode})`, async () => {
          const r = await detector.detect(await bytes());
          assert.equal(r.hotdog, false, `score ${r.hotdogScore} from ${r.verdict?.source}`);
        });
      }
    } finally {
      await detector.close();
    }
  }
});

Deno.test("With VERDICT_SECOND_OPINION=always the fused head decides every food photo", async () => {
  const model = (await loadVerdictModel(DEFAULTS.VERDICT_HEAD))!;
  assert.ok(model.secondOpinion, "models/verdict.json has no second opinion");
  const detector = await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: "always" });
  const plain = await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: "never" });
  try {
    const photos = (await listPhotos()).filter((_, i) => i % 70 === 0);
    let asked = 0;
    for (const photo of photos) {
      const bytes = await Deno.readFile(photo.path);
      const r = await detector.detect(bytes);
      const alone = await plain.analyse(bytes);
      assert.notEqual(alone.result.verdict?.source, "second-opinion");
      if (alone.result.verdict?.source !== "head") {
        assert.equal(r.verdict?.source, "class", photo.path);
        continue;
      }
      asked++;
      const so = r.verdict!.secondOpinion!;
      assert.equal(r.verdict!.source, "second-opinion");
      assert.equal(r.hotdogScore, so.score);
      assert.equal(r.hotdog, so.score >= DEFAULTS.HOTDOG_THRESHOLD);
      // The head that asked is the same head the plain detector runs.
      assert.equal(so.detectorScore, headScore(model.head, alone.features!));
      assert.equal(so.detectorScore, alone.result.hotdogScore);
      assert.ok([...IMAGENET_FOODS.values()].includes(so.looksLike.label), so.looksLike.label);
      assert.ok(so.imagenetHotdog >= 0 && so.imagenetHotdog <= 1);
      assert.ok(r.timings.verdict! > 0 && r.timings.total >= r.timings.verdict!);
    }
    assert.ok(asked >= photos.length / 2, `only ${asked} of ${photos.length} asked`);
  } finally {
    await detector.close();
    await plain.close();
  }
});

Deno.test("With auto the classifier runs only inside the band chosen by cross-validation", async () => {
  const model = (await loadVerdictModel(DEFAULTS.VERDICT_HEAD))!;
  const band = model.secondOpinion!.band;
  const detector = await loadDetector(DEFAULTS);
  try {
    const photos = (await listPhotos()).filter((_, i) => i % 25 === 0);
    const sources = new Set<string>();
    for (const photo of photos) {
      const r = await detector.detect(await Deno.readFile(photo.path));
      const v = r.verdict!;
      sources.add(v.source);
      if (v.source === "head") {
        assert.ok(r.hotdogScore < band.low || r.hotdogScore > band.high, String(r.hotdogScore));
        assert.equal(v.secondOpinion ?? null, null);
      } else if (v.source === "second-opinion") {
        const s = v.secondOpinion!.detectorScore;
        assert.ok(s >= band.low && s <= band.high, String(s));
      }
    }
    // Both stages decide some of these photos: the band is neither empty nor everything.
    assert.ok(sources.has("head") && sources.has("second-opinion"), [...sources].join());
  } finally {
    await detector.close();
  }
});

Deno.test("Not Hotdog with a second opinion says which ImageNet food it looks like", async () => {
  const detector = await loadDetector({ ...DEFAULTS, VERDICT_SECOND_OPINION: "always" });
  try {
    // A 512x384 pizza with cups (the page tests' not-hot-dog photo).
    const r = await detector.detect(
      await Deno.readFile("tests/data/hotdog/seefood-train/not_hot_dog/5764.jpg"),
    );
    assert.equal(r.hotdog, false);
    assert.equal(r.verdict?.secondOpinion?.looksLike.label, "pizza");
  } finally {
    await detector.close();
  }
});

Deno.test("VERDICT_SECOND_OPINION=never and CLASSIFIER_PATH=none keep the head alone", async (t) => {
  const bytes = await Deno.readFile("tests/data/hotdog/seefood-train/hot_dog/930190.jpg");
  for (
    const settings of [
      { ...DEFAULTS, VERDICT_SECOND_OPINION: "never" as const },
      { ...DEFAULTS, VERDICT_SECOND_OPINION: "always" as const, CLASSIFIER_PATH: "none" },
    ]
  ) {
    await t.step(`${settings.VERDICT_SECOND_OPINION}, ${settings.CLASSIFIER_PATH}`, async () => {
      const detector = await loadDetector(settings);
      try {
        const r = await detector.detect(bytes);
        assert.equal(r.verdict?.source, "head");
        assert.equal(r.verdict?.secondOpinion ?? null, null);
      } finally {
        await detector.close();
      }
    });
  }
});
