/** The snapshot loop's decisions, pure: what to send, how an answer went, how long to wait. */
import assert from "node:assert/strict";
import {
  answerRate,
  minInterval,
  nextSend,
  outcome,
  retryAfterSeconds,
  serverTotal,
} from "../../static/pacing.js";

/** A camera loop with a fresh frame on screen and nothing in the way. */
const READY = {
  mode: "camera" as const,
  paused: false,
  inFlight: false,
  hidden: false,
  photoPending: false,
  frameDue: true,
  hasFrame: true,
  retryAt: 0,
  lastSentAt: 1000,
  minInterval: 0,
};
const NOW = 2000;

Deno.test("nextSend() sends the latest frame, one at a time, when it may", async (t) => {
  await t.step("a due frame with nothing in the way is sent", () => {
    assert.equal(nextSend(READY, NOW), "frame");
  });
  await t.step("nothing while a request is out, the tab is hidden or before Retry-After", () => {
    assert.equal(nextSend({ ...READY, inFlight: true }, NOW), null);
    assert.equal(nextSend({ ...READY, hidden: true }, NOW), null);
    assert.equal(nextSend({ ...READY, retryAt: NOW + 1 }, NOW), null);
    assert.equal(nextSend({ ...READY, retryAt: NOW }, NOW), "frame");
  });
  await t.step("no frame when paused, none is due, or the video has none yet", () => {
    assert.equal(nextSend({ ...READY, paused: true }, NOW), null);
    assert.equal(nextSend({ ...READY, frameDue: false }, NOW), null);
    assert.equal(nextSend({ ...READY, hasFrame: false }, NOW), null);
    assert.equal(nextSend({ ...READY, mode: "none" }, NOW), null);
  });
  await t.step("the server's pace: not before the advertised gap since the last send", () => {
    assert.equal(nextSend({ ...READY, minInterval: 1050 }, NOW), null);
    assert.equal(nextSend({ ...READY, minInterval: 1000 }, NOW), "frame");
  });
  await t.step("a pending photo goes in photo mode (paused or not), never in camera mode", () => {
    const photo = { ...READY, mode: "photo" as const, photoPending: true, frameDue: false };
    assert.equal(nextSend(photo, NOW), "photo");
    assert.equal(nextSend({ ...photo, paused: true }, NOW), "photo");
    assert.equal(nextSend({ ...photo, photoPending: false, frameDue: true }, NOW), null);
    assert.equal(nextSend({ ...photo, inFlight: true }, NOW), null);
    assert.equal(nextSend({ ...READY, photoPending: true }, NOW), "frame");
  });
});

Deno.test("outcome() reads a status: answer, back-pressure, no server, or refusal", () => {
  assert.equal(outcome(200), "answer");
  assert.equal(outcome(429), "busy");
  assert.equal(outcome(503), "busy");
  assert.equal(outcome(0), "unreachable");
  for (const status of [400, 413, 415, 422, 500]) assert.equal(outcome(status), "refused");
  assert.equal(outcome(-1), null);
  assert.equal(outcome(204), null);
});

Deno.test("minInterval() turns RateLimit-Policy into a gap with 5 % to spare", () => {
  assert.equal(minInterval('"default";q=20;w=2'), 105);
  assert.equal(minInterval('"default";q=1;w=1'), 1050);
  assert.equal(minInterval('"default";w=2'), 0);
  assert.equal(minInterval('"default";q=0;w=2'), 0);
  assert.equal(minInterval(""), 0);
  assert.equal(minInterval(null), 0);
});

Deno.test("retryAfterSeconds() reads delay-seconds or a date, 2 s when it cannot", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  assert.equal(retryAfterSeconds("3", now), 3);
  assert.equal(retryAfterSeconds("1.5", now), 1.5);
  assert.equal(retryAfterSeconds("-4", now), 0);
  assert.equal(retryAfterSeconds("Thu, 01 Jan 2026 12:00:10 GMT", now), 10);
  assert.equal(retryAfterSeconds("Thu, 01 Jan 2026 11:59:00 GMT", now), 0);
  assert.equal(retryAfterSeconds("soon", now), 2);
  assert.equal(retryAfterSeconds(null, now), 2);
});

Deno.test("serverTotal() finds the total in Server-Timing, or null", () => {
  assert.equal(serverTotal("decode;dur=1.2, infer;dur=30.1, total;dur=33.3"), 33.3);
  assert.equal(serverTotal("total;dur=7"), 7);
  assert.equal(serverTotal("subtotal;dur=5"), null);
  assert.equal(serverTotal(null), null);
});

Deno.test("answerRate() counts answers over the last 3 s", () => {
  assert.deepEqual(answerRate([], 500), { times: [500], fps: 0 });
  assert.deepEqual(answerRate([0, 1000, 2000], 3000), { times: [0, 1000, 2000, 3000], fps: 1 });
  const later = answerRate([0, 1000, 2000, 3000], 4000);
  assert.deepEqual(later.times, [1000, 2000, 3000, 4000]);
  assert.equal(later.fps, 1);
  assert.deepEqual(answerRate([0, 2500, 3000], 3500), { times: [2500, 3000, 3500], fps: 2 });
});
