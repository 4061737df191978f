/** Worker entry: owns one Detector (one WASM session) and answers detect messages one at a time. */
/// <reference lib="deno.worker" />
import { Detector, type DetectorPlan } from "./detector.ts";
import { toWireError, type WireError } from "./errors.ts";
import type { DetectResult, RunOptions } from "./types.ts";
import { trackWasmMemory, wasmMemoryBytes } from "./_wasm_memory.ts";

trackWasmMemory();

export type ToWorker =
  | { type: "init"; plan: DetectorPlan }
  /** The warm-up snapshots, encoded once on the main thread; null: encode them here. */
  | { type: "warm-frames"; frames: Uint8Array[] | null }
  | { type: "detect"; id: number; bytes: Uint8Array; options: RunOptions };

export type FromWorker =
  | { type: "ready"; wasmBytes: number }
  | { type: "init-error"; error: WireError }
  | { type: "result"; id: number; result: DetectResult; wasmBytes: number }
  | { type: "error"; id: number; error: WireError; wasmBytes: number };

let detector: Detector | undefined;
let giveFrames: (frames: Uint8Array[] | null) => void = () => {};
const frames = new Promise<Uint8Array[] | null>((resolve) => giveFrames = resolve);

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === "init") {
    try {
      detector = await Detector.create(msg.plan, { warmFrames: frames });
      post({ type: "ready", wasmBytes: wasmMemoryBytes() });
    } catch (err) {
      post({ type: "init-error", error: toWireError(err) });
    }
    return;
  }
  if (msg.type === "warm-frames") {
    giveFrames(msg.frames);
    return;
  }
  if (msg.type === "detect") {
    try {
      if (!detector) throw new Error("worker received a detection before it was ready");
      const result = await detector.detect(msg.bytes, msg.options);
      post({ type: "result", id: msg.id, result, wasmBytes: wasmMemoryBytes() });
    } catch (err) {
      post({ type: "error", id: msg.id, error: toWireError(err), wasmBytes: wasmMemoryBytes() });
    }
  }
};
