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

Deno.test({
  name: "createSession() refuses a second thread count in one isolate instead of ignoring it",
  sanitizeResources: false,
  async fn() {
    const model = prepareModel(await Deno.readFile("models/yolov5n.onnx"));
    const first = await createSession(model, { threads: 1 });
    await first.release();
    await assert.rejects(
      () => createSession(model, { threads: 2 }),
      /Cannot create a session with 2 WASM thread\(s\): this isolate's onnxruntime already runs 1/,
    );
    const again = await createSession(model, { threads: 1 });
    await again.release();
  },
});
