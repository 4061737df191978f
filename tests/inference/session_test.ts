import assert from "node:assert/strict";
import { prepareModel } from "../../inference/model_prepare.ts";
import { createSession } from "../../inference/session.ts";

Deno.test({
  name: "createSession() leaves this isolate able to start Deno Workers",
  // onnxruntime-web's first session leaves a MessageChannel port open (see camera_test).
  sanitizeResources: false,
  async fn() {
    const session = await createSession(prepareModel(await Deno.readFile("models/yolov5n.onnx")));
    await session.release();
    const worker = new Worker(new URL("./_self_worker.ts", import.meta.url), { type: "module" });
    try {
      const answer = await new Promise((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`the worker failed: ${e.message}`));
        };
      });
      assert.equal(answer, "object");
    } finally {
      worker.terminate();
    }
  },
});
