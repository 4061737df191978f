/** Exact markup of the verdict banner in its three states, and its screen-reader region. */
import assert from "node:assert/strict";
import {
  lookalike,
  Verdict,
  verdictSource,
  verdictState,
  VerdictStatus,
} from "../../../routes/views/verdict.tsx";

const CHECK = '<span class="verdict-badge" aria-hidden="true"><svg viewBox="0 0 24 24" width="24"' +
  ' height="24"><path d="M5 12.5l4.5 4.5L19 7.5"></path></svg></span>';
const CROSS = '<span class="verdict-badge" aria-hidden="true"><svg viewBox="0 0 24 24" width="24"' +
  ' height="24"><path d="M6.5 6.5l11 11M17.5 6.5l-11 11"></path></svg></span>';

Deno.test("Verdict renders each state exactly", async (t) => {
  await t.step("before any answer it is pending and asks for food", () => {
    assert.equal(
      String(<Verdict />),
      '<div id="verdict" class="verdict" data-verdict="pending">' +
        '<p class="verdict-word">Hotdog?</p>' +
        '<p class="verdict-score">Point the camera at food</p></div>',
    );
  });

  await t.step("a hot dog says Hotdog with its score as a percentage and a check", () => {
    assert.equal(
      String(<Verdict result={{ hotdog: true, hotdogScore: 0.8765 }} />),
      '<div id="verdict" class="verdict" data-verdict="hotdog" data-score="0.876">' +
        '<p class="verdict-word">Hotdog</p>' +
        '<p class="verdict-score">hot dog score 88%</p>' + CHECK + "</div>",
    );
  });

  await t.step("anything else says Not Hotdog with a cross, marked for an out-of-band swap", () => {
    assert.equal(
      String(<Verdict result={{ hotdog: false, hotdogScore: 0.031 }} oob />),
      '<div id="verdict" class="verdict" data-verdict="not-hotdog" data-score="0.031"' +
        ' hx-swap-oob="true">' +
        '<p class="verdict-word">Not Hotdog</p>' +
        '<p class="verdict-score">hot dog score 3%</p>' + CROSS + "</div>",
    );
  });
});

Deno.test("verdictState() follows the detector's hotdog flag, not the score", () => {
  assert.equal(verdictState(), "pending");
  assert.equal(verdictState({ hotdog: true, hotdogScore: 0.25 }), "hotdog");
  assert.equal(verdictState({ hotdog: false, hotdogScore: 0.9 }), "not-hotdog");
});

Deno.test("VerdictStatus is an empty polite status region for announcements", () => {
  assert.equal(
    String(<VerdictStatus />),
    '<p id="verdict-status" class="sr-only" role="status" aria-live="polite"' +
      ' aria-atomic="true"></p>',
  );
});

Deno.test("Verdict says what decided, and where the hot dog is when no box shows it", async (t) => {
  const verdict = (source: "head" | "class", region: boolean) => ({
    source,
    threshold: 0.5,
    classScore: 0.1,
    foodScore: 0.4,
    region: region ? { box: { x1: 1, y1: 2, x2: 30, y2: 40 }, score: 0.12 } : null,
  });
  const hotdogBox = {
    label: "hot dog",
    classId: 52,
    score: 0.6,
    box: { x1: 0, y1: 0, x2: 10, y2: 10 },
  };
  await t.step("a head verdict with a hot dog box names the head only", () => {
    const result = {
      hotdog: true,
      hotdogScore: 0.9,
      verdict: verdict("head", true),
      detections: [hotdogBox],
    };
    assert.equal(verdictSource(result), "learned verdict");
    assert.match(
      String(<Verdict result={result} />),
      /<p class="verdict-source">learned verdict<\/p>/,
    );
  });
  await t.step("hot dog without a box points at the dashed hint", () => {
    const result = {
      hotdog: true,
      hotdogScore: 0.7,
      verdict: verdict("head", true),
      detections: [],
    };
    assert.equal(verdictSource(result), "learned verdict · dashed box: most likely spot");
  });
  await t.step("hot dog without a box or a region says it judged the whole photo", () => {
    const result = {
      hotdog: true,
      hotdogScore: 0.7,
      verdict: verdict("head", false),
      detections: [],
    };
    assert.equal(verdictSource(result), "learned verdict · from the whole photo");
  });
  await t.step("the class deciding is named as such", () => {
    const result = {
      hotdog: false,
      hotdogScore: 0.1,
      verdict: verdict("class", true),
      detections: [],
    };
    assert.equal(verdictSource(result), "COCO hot dog class");
  });
});

Deno.test("Not Hotdog with a second opinion says which ImageNet food it looks like", async (t) => {
  const base = {
    source: "second-opinion" as const,
    threshold: 0.5,
    classScore: 0.1,
    foodScore: 0.4,
    region: null,
    secondOpinion: {
      score: 0.2,
      detectorScore: 0.45,
      imagenetHotdog: 0.01,
      looksLike: { label: "pizza", score: 0.634 },
    },
  };
  await t.step("not a hot dog: the look-alike and the second opinion are named", () => {
    const result = { hotdog: false, hotdogScore: 0.2, verdict: base, detections: [] };
    assert.equal(lookalike(result), "looks like: pizza (63%)");
    const html = String(<Verdict result={result} />);
    assert.match(html, /<p class="verdict-lookalike">looks like: pizza \(63%\)<\/p>/);
    assert.match(html, /learned verdict \+ ImageNet second opinion/);
  });
  await t.step("a hot dog, or no second opinion: nothing about look-alikes", () => {
    assert.equal(lookalike({ hotdog: true, hotdogScore: 0.8, verdict: base }), "");
    const head = { ...base, source: "head" as const, secondOpinion: null };
    const html = String(<Verdict result={{ hotdog: false, hotdogScore: 0.1, verdict: head }} />);
    assert.doesNotMatch(html, /verdict-lookalike/);
  });
});
