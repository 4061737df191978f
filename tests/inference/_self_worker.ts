/** A worker module that answers with the type of its `self`: "object" in a Deno Worker. */
/// <reference lib="deno.worker" />
self.postMessage(typeof self);
