/** The real detector worker, plus two faults on demand: a JPEG whose comment says so. */
/// <reference lib="deno.worker" />
import "../../inference/worker.ts";

const real = self.onmessage as (event: MessageEvent) => unknown;
const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes.subarray(0, 256));

self.onmessage = (event: MessageEvent) => {
  const msg = event.data;
  if (msg.type === "detect") {
    const head = text(msg.bytes);
    // An uncaught exception kills the worker, as a runtime abort would.
    if (head.includes("FAULT:CRASH")) throw new Error("injected crash");
    // A busy loop: only terminate() can stop it, as with a runaway WASM call.
    if (head.includes("FAULT:HANG")) { for (;;) { /* hang */ } }
  }
  return real(event);
};
