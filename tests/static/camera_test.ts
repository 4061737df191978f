/** The camera's constraint ladder and its explanations, pure parts of static/camera.js. */
import assert from "node:assert/strict";
import { constraintLadder, explainCameraError, openCamera } from "../../static/camera.js";

Deno.test("constraintLadder() goes tight to loose, a picked camera first", () => {
  const ladder = constraintLadder();
  assert.equal(ladder.length, 3);
  assert.equal(ladder[0].video.facingMode, "environment");
  assert.deepEqual(ladder[0].video.frameRate, { min: 24, ideal: 30, max: 30 });
  assert.deepEqual(ladder[1], { video: { facingMode: "environment" } });
  assert.deepEqual(ladder[2], { video: true });
  const picked = constraintLadder("cam-2");
  assert.deepEqual(picked[0].video.deviceId, { exact: "cam-2" });
  assert.deepEqual(picked.slice(1), ladder);
});

Deno.test("explainCameraError() says why no camera started", () => {
  assert.equal(explainCameraError({ name: "NotAllowedError" }).title, "Camera blocked");
  assert.equal(explainCameraError({ name: "SecurityError" }).title, "Camera blocked");
  assert.equal(explainCameraError({ name: "NotReadableError" }).title, "Camera busy");
  assert.deepEqual(explainCameraError({ name: "OverconstrainedError" }), {
    title: "No camera",
    message: "No camera could be started on this device.",
  });
  assert.equal(
    explainCameraError({ name: "Weird", message: "lens cap" }).message,
    "The camera did not start: lens cap.",
  );
  assert.equal(explainCameraError(null).message, "The camera did not start.");
});

Deno.test("openCamera() climbs the ladder past retryable errors and stops at a refusal", async () => {
  const tried: unknown[] = [];
  const failing = (names: string[]) => ({
    enumerateDevices: () => Promise.resolve([{ kind: "videoinput" }]),
    getUserMedia: (constraints: unknown) => {
      tried.push(constraints);
      const name = names.shift();
      if (!name) return Promise.resolve("stream");
      return Promise.reject(Object.assign(new Error(name), { name }));
    },
  });
  // deno-lint-ignore no-explicit-any
  const open = (devices: any, id?: string) => openCamera(devices, id);

  assert.deepEqual(await open(failing(["OverconstrainedError"])), { stream: "stream" });
  assert.equal(tried.length, 2);

  tried.length = 0;
  const refused = await open(failing(["NotAllowedError"]));
  assert.deepEqual(refused, explainCameraError({ name: "NotAllowedError" }));
  assert.equal(tried.length, 1);

  tried.length = 0;
  const none = await open(failing(Array(4).fill("NotFoundError")), "x");
  assert.deepEqual(none, {
    title: "No camera",
    message: "No camera could be started on this device.",
  });
  assert.equal(tried.length, 4);

  assert.deepEqual(await open(undefined), {
    title: "Camera needs a secure page",
    message: "Open this page over HTTPS (or on localhost) to use the camera.",
  });
  const empty = { enumerateDevices: () => Promise.resolve([]), getUserMedia: () => {} };
  assert.deepEqual(await open(empty), {
    title: "No camera",
    message: "This device has no camera we can use.",
  });
});
