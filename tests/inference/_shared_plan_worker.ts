/** A worker module that says ready with wasmBytes 1 when both model byte arrays arrived shared. */
/// <reference lib="deno.worker" />
self.onmessage = (event) => {
  // The pool also sends the warm-up snapshots; only the plan matters here.
  if (event.data.type !== "init") return;
  const { model, classifier } = event.data.plan;
  const shared = [model.bytes, classifier.bytes].every((b: Uint8Array) =>
    b.buffer instanceof SharedArrayBuffer && b[0] === 7
  );
  self.postMessage({ type: "ready", wasmBytes: shared ? 1 : 0 });
};
