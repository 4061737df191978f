/** Exact markup of the SVG overlay for hand-made detections. */
import assert from "node:assert/strict";
import type { Detection } from "../../../inference/types.ts";
import { classColor, hotdogHint, inkOn, Overlay } from "../../../routes/views/overlay.tsx";

const HOTDOG: Detection = {
  label: "hot dog",
  classId: 52,
  score: 0.8765,
  box: { x1: 10.04, y1: 20, x2: 110.26, y2: 90 },
};
const NASTY: Detection = {
  label: 'a<b&c"d',
  classId: 0,
  score: 0.5,
  box: { x1: 0, y1: 5, x2: 50, y2: 60 },
};

Deno.test("Overlay renders one rect and one label per detection", async (t) => {
  await t.step("the viewBox is the image size and boxes are rounded to a tenth of a pixel", () => {
    const markup = String(<Overlay width={320} height={240} detections={[HOTDOG]} />);
    assert.equal(
      markup,
      '<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 240" width="320"' +
        ' height="240" preserveAspectRatio="xMidYMid meet" role="img"' +
        ' aria-label="1 object detected">' +
        '<g class="det" data-label="hot dog" data-score="0.876">' +
        '<rect x="10" y="20" width="100.2" height="70" fill="none" stroke="#344593"' +
        ' stroke-width="2"></rect>' +
        '<text x="13" y="17" text-anchor="start" dominant-baseline="text-after-edge" fill="#fff"' +
        ' font-size="12" font-family="system-ui, sans-serif"' +
        ' font-weight="600" paint-order="stroke" stroke="#344593" stroke-width="4.0"' +
        ' stroke-linejoin="round">' +
        "hot dog 88%</text></g></svg>",
    );
  });

  await t.step("labels are escaped, and a box at the top edge gets its label inside", () => {
    const markup = String(<Overlay width={320} height={240} detections={[NASTY]} />);
    assert.equal(
      markup,
      '<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 240" width="320"' +
        ' height="240" preserveAspectRatio="xMidYMid meet" role="img"' +
        ' aria-label="1 object detected">' +
        '<g class="det" data-label="a&lt;b&amp;c&quot;d" data-score="0.500">' +
        '<rect x="0" y="5" width="50" height="55" fill="none" stroke="#FF3838"' +
        ' stroke-width="2"></rect>' +
        '<text x="3" y="8" text-anchor="start" dominant-baseline="text-before-edge" fill="#fff"' +
        ' font-size="12" font-family="system-ui, sans-serif"' +
        ' font-weight="600" paint-order="stroke" stroke="#FF3838" stroke-width="4.0"' +
        ' stroke-linejoin="round">' +
        "a&lt;b&amp;c&quot;d 50%</text></g></svg>",
    );
  });

  await t.step("a box on the right half hangs its label from its right corner", () => {
    const right: Detection = {
      label: "cup",
      classId: 41,
      score: 0.61,
      box: { x1: 200, y1: 100, x2: 300, y2: 200 },
    };
    const markup = String(<Overlay width={320} height={240} detections={[right]} />);
    assert.ok(
      markup.includes(
        '<text x="297" y="97" text-anchor="end" dominant-baseline="text-after-edge" fill="#000"',
      ),
      markup,
    );
  });

  await t.step("no detections is an empty svg of the image's size", () => {
    const markup = String(<Overlay width={1280} height={720} detections={[]} />);
    assert.equal(
      markup,
      '<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1280 720" width="1280"' +
        ' height="720" preserveAspectRatio="xMidYMid meet" role="img"' +
        ' aria-label="0 objects detected"></svg>',
    );
  });

  await t.step("an image href is drawn under the boxes, escaped", () => {
    const href = 'data:x,"><script>';
    const markup = String(<Overlay width={2} height={1} detections={[]} imageHref={href} />);
    assert.ok(
      markup.includes(
        '<image href="data:x,&quot;&gt;&lt;script&gt;" x="0" y="0" width="2" height="1"></image>',
      ),
      markup,
    );
    assert.ok(!markup.includes("<script>"));
  });
});

Deno.test("classColor() cycles the 20-colour palette, negative ids included", () => {
  assert.equal(classColor(0), "#FF3838");
  assert.equal(classColor(20), "#FF3838");
  assert.equal(classColor(-1), "#FF37C7");
});

Deno.test("inkOn() picks black text on light class colours and white on dark ones", () => {
  assert.equal(inkOn("#FFB21D"), "#000");
  assert.equal(inkOn("#48F90A"), "#000");
  assert.equal(inkOn("#344593"), "#fff");
  assert.equal(inkOn("#FF3838"), "#fff");
});

Deno.test("Overlay draws the verdict's hint as a dashed, labelled box", () => {
  const svg = String(
    <Overlay
      width={100}
      height={80}
      detections={[]}
      hint={{ box: { x1: 10.04, y1: 20, x2: 50, y2: 60.06 }, score: 0.123 }}
    />,
  );
  assert.equal(
    svg,
    '<svg class="overlay" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 80" width="100"' +
      ' height="80" preserveAspectRatio="xMidYMid meet" role="img" aria-label="0 objects detected">' +
      '<g class="hint" data-score="0.123"><rect x="10" y="20" width="40" height="40.1" fill="none"' +
      ' stroke="#fff" stroke-width="2" stroke-dasharray="6 4"></rect><text x="12" y="18"' +
      ' fill="#fff" font-size="12" font-family="system-ui, sans-serif" font-weight="600"' +
      ' paint-order="stroke" stroke="#000" stroke-width="3.0">hot dog? 12%</text></g></svg>',
  );
});

Deno.test("hotdogHint() points only when the verdict says hot dog and no box shows one", () => {
  const region = { box: { x1: 1, y1: 2, x2: 3, y2: 4 }, score: 0.2 };
  const verdict = {
    source: "head" as const,
    threshold: 0.5,
    classScore: 0.2,
    foodScore: 0.5,
    region,
  };
  const hotdogBox: Detection = { label: "hot dog", classId: 52, score: 0.6, box: region.box };
  assert.deepEqual(hotdogHint({ hotdog: true, detections: [], verdict }), region);
  assert.equal(hotdogHint({ hotdog: true, detections: [hotdogBox], verdict }), null);
  assert.equal(hotdogHint({ hotdog: false, detections: [], verdict }), null);
  assert.equal(
    hotdogHint({ hotdog: true, detections: [], verdict: { ...verdict, region: null } }),
    null,
  );
  assert.equal(hotdogHint({ hotdog: true, detections: [] }), null);
});
