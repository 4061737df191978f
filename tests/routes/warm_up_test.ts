import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { warmFrames } from "../../inference/mod.ts";
import { warmRoutes } from "../../routes/warm_up.ts";
import type { ModelInfo } from "../../inference/mod.ts";

const info = {
  name: "yolov5n",
  inputWidth: 320,
  inputHeight: 320,
  classes: ["person", "hot dog", "pizza"],
} as unknown as ModelInfo;

Deno.test("request path warm-up: every detection route answers 200, with and without API keys", async (t) => {
  const [frame] = await warmFrames([{ width: 320, height: 180 }]);
  await t.step("open", async () => {
    await warmRoutes(DEFAULTS, { info, frame });
  });
  await t.step("API keys: the key goes in the header and in DeepStack's form", async () => {
    await warmRoutes({ ...DEFAULTS, API_KEYS: ["k-0123456789abcdef"] }, { info, frame });
  });
});

Deno.test("request path warm-up: a route that refuses says which and why", async () => {
  await assert.rejects(
    () => warmRoutes(DEFAULTS, { info, frame: new TextEncoder().encode("not an image") }),
    /warm-up request to \/api\/v1\/detect answered 415/,
  );
});
