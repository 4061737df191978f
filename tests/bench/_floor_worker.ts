/// <reference lib="deno.worker" />
/** The transport floor's stand-in for a model run: holds the CPU for the time asked, answers a small result. */
self.onmessage = (event: MessageEvent<{ bytes: Uint8Array; holdMs: number }>) => {
  const { bytes, holdMs } = event.data;
  const start = performance.now();
  // Spinning, not sleeping: a model run keeps its core busy while the main thread idles.
  while (performance.now() - start < holdMs);
  self.postMessage({ bytes: bytes.byteLength, hotdog: false, detections: [] });
};
