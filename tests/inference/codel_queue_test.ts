/** Tests for the CoDel admission queue, with a fake clock and a hand-driven fake worker pool. */

import assert from "node:assert/strict";
import { AppError } from "../../inference/errors.ts";
import { CodelQueue, type CodelQueueOptions } from "../../inference/codel_queue.ts";
import { errorStatus } from "../../routes/error_status.ts";

/** Lets pending promise continuations (grants, releases) run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * A queue plus a fake consumer: every job records that it started and then waits until the
 * test finishes it, while the test moves the clock.
 */
function harness(options: Omit<CodelQueueOptions, "now">) {
  let t = 0;
  const queue = new CodelQueue({ ...options, now: () => t });
  const started: number[] = [];
  const finishers = new Map<number, () => void>();
  const outcomes = new Map<number, "served" | AppError | unknown>();
  function submit(id: number, signal?: AbortSignal) {
    const done = queue.run(() => {
      started.push(id);
      return new Promise<number>((resolve) => finishers.set(id, () => resolve(id)));
    }, signal);
    done.then(() => outcomes.set(id, "served"), (err) => outcomes.set(id, err));
    return done;
  }
  async function finish(id: number) {
    const resolve = finishers.get(id);
    assert.ok(resolve, `job ${id} is not running`);
    finishers.delete(id);
    resolve();
    await flush();
  }
  return {
    queue,
    started,
    outcomes,
    submit,
    finish,
    advance(ms: number) {
      t += ms;
    },
    get running() {
      return [...finishers.keys()];
    },
    async finishAll() {
      while (finishers.size > 0) await finish(finishers.keys().next().value!);
    },
  };
}

function assertOverloaded(err: unknown, pattern: RegExp) {
  assert.ok(err instanceof AppError, `expected AppError, got ${err}`);
  assert.equal(err.code, "overloaded");
  assert.equal(errorStatus(err.code), 503);
  assert.ok(err.retryAfter !== undefined && err.retryAfter >= 1);
  assert.match(err.message, pattern);
}

Deno.test("CodelQueue runs at most `concurrency` jobs and serves the rest in FIFO order", async () => {
  const h = harness({ concurrency: 2, maxLength: 10 });
  for (let i = 0; i < 6; i++) h.submit(i);
  await flush();
  assert.deepEqual(h.started, [0, 1]);
  assert.equal(h.queue.length, 4);
  assert.equal(h.queue.inFlight, 2);
  await h.finish(1);
  await h.finish(0);
  assert.deepEqual(h.started, [0, 1, 2, 3]);
  await h.finishAll();
  assert.deepEqual(h.started, [0, 1, 2, 3, 4, 5]);
  assert.equal(h.queue.stats.dispatched, 6);
  assert.equal(h.queue.stats.shed, 0);
  assert.equal(h.queue.inFlight, 0);
});

Deno.test("CodelQueue returns the job's result and frees the slot when the job throws", async () => {
  const queue = new CodelQueue({ concurrency: 1, maxLength: 1 });
  assert.equal(await queue.run(() => 42), 42);
  await assert.rejects(queue.run(() => Promise.reject(new Error("worker crashed"))), /crashed/);
  assert.equal(queue.inFlight, 0);
  assert.equal(await queue.run(() => Promise.resolve("still works")), "still works");
});

Deno.test("CodelQueue rejects a burst beyond maxLength at once with 503", async () => {
  const h = harness({ concurrency: 1, maxLength: 3 });
  const all = Array.from({ length: 10 }, (_, i) => h.submit(i).catch(() => {}));
  await flush();
  // No time passed: job 0 runs, 1-3 wait, 4-9 were turned away on arrival.
  assert.deepEqual(h.started, [0]);
  assert.equal(h.queue.length, 3);
  for (let i = 4; i < 10; i++) {
    assertOverloaded(h.outcomes.get(i), /Server is overloaded: 3 requests already waiting/);
  }
  assert.equal(h.queue.stats.shed, 6);
  assert.equal(h.queue.stats.shedFull, 6);
  await h.finishAll();
  await Promise.all(all);
  assert.deepEqual(h.started, [0, 1, 2, 3]);
});

Deno.test("CodelQueue sheds with CoDel when a slow pool keeps the queue above target", async (t) => {
  const sojourns: number[] = [];
  const h = harness({
    concurrency: 1,
    maxLength: 100,
    target: 100,
    interval: 1000,
    onSojourn: (ms) => sojourns.push(ms),
  });
  for (let i = 0; i < 20; i++) h.submit(i).catch(() => {});
  await flush();

  await t.step("jobs take 200 ms each, so the queue delay grows past target", async () => {
    // Drive the fake pool: every 200 ms the running job finishes.
    while (h.running.length > 0) {
      h.advance(200);
      await h.finish(h.running[0]);
    }
  });

  await t.step("nothing is shed within the first interval above target", () => {
    assert.deepEqual(h.started.slice(0, 6), [0, 1, 2, 3, 4, 5]);
  });

  await t.step("then heads are shed at interval / sqrt(count), the rest served in order", () => {
    // Above target since 100 ms; first drop at the first dequeue after 1100 ms (t=1200),
    // then at 2200 (1000/sqrt(1) later) and 2907 (1000/sqrt(2) later).
    const shed = [...h.outcomes].filter(([, o]) => o !== "served").map(([id]) => id);
    assert.deepEqual(shed, [6, 12, 17]);
    assert.deepEqual(h.started, [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19]);
    assertOverloaded(h.outcomes.get(6), /request waited 1200 ms for a worker \(target 100 ms\)/);
    assert.equal(h.queue.stats.shed, 3);
    assert.equal(h.queue.stats.shedFull, 0);
    assert.equal(h.queue.stats.dispatched, 17);
  });

  await t.step("every dispatch reports its queueing delay", () => {
    assert.equal(sojourns.length, 17);
    assert.equal(sojourns[0], 0);
    assert.equal(sojourns[1], 200);
    assert.equal(h.queue.stats.lastSojourn, sojourns.at(-1));
  });

  await t.step("recovers when load drops: a drained queue sheds nothing", async () => {
    assert.equal(h.queue.stats.dropping, false);
    for (let i = 100; i < 110; i++) {
      h.submit(i);
      await flush();
      h.advance(150);
      await h.finish(i);
      h.advance(100);
    }
    assert.equal(h.queue.stats.shed, 3);
    assert.deepEqual(h.started.slice(-10), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });
});

Deno.test("CodelQueue sheds on arrival when the pool is stuck", async () => {
  const h = harness({ concurrency: 1, maxLength: 10, target: 100, interval: 1000 });
  h.submit(0);
  h.submit(1).catch(() => {});
  await flush();
  h.advance(1_099);
  h.submit(2).catch(() => {});
  await flush();
  assert.equal(h.queue.stats.shed, 0, "not yet above target for a whole interval");
  h.advance(1);
  h.submit(3).catch(() => {});
  await flush();
  // Job 1 waited target + interval while nothing was dequeued; the arrival sheds it.
  assertOverloaded(h.outcomes.get(1), /waited 1100 ms/);
  // Job 2 has waited only 1 ms, so CoDel sheds no more and leaves its dropping state.
  assert.equal(h.queue.stats.dropping, false);
  assert.equal(h.queue.length, 2);
  await h.finishAll();
  assert.deepEqual(h.started, [0, 2, 3]);
});

Deno.test("CodelQueue never hands an aborted waiter to a worker", async (t) => {
  await t.step("an abort removes the waiter at once", async () => {
    const h = harness({ concurrency: 1, maxLength: 10 });
    const gone = new AbortController();
    h.submit(0);
    const waiting = h.submit(1, gone.signal);
    h.submit(2);
    await flush();
    assert.equal(h.queue.length, 2);
    gone.abort(new DOMException("client went away", "AbortError"));
    assert.equal(h.queue.length, 1, "removed synchronously, not when it reaches the head");
    await assert.rejects(waiting, { name: "AbortError", message: "client went away" });
    await h.finishAll();
    assert.deepEqual(h.started, [0, 2]);
    assert.equal(h.queue.stats.aborted, 1);
    assert.equal(h.queue.stats.dispatched, 2);
  });

  await t.step("an already aborted signal is rejected without queueing", async () => {
    const h = harness({ concurrency: 1, maxLength: 10 });
    await assert.rejects(h.submit(0, AbortSignal.abort()), { name: "AbortError" });
    assert.deepEqual(h.started, []);
    assert.equal(h.queue.stats.aborted, 1);
  });

  await t.step("an abort between grant and start frees the slot for the next job", async () => {
    const h = harness({ concurrency: 1, maxLength: 10 });
    const gone = new AbortController();
    h.submit(0);
    const waiting = h.submit(1, gone.signal);
    h.submit(2);
    await flush();
    // Finish job 0 and abort job 1 in the same tick, before its run() continues.
    const finished = h.finish(0);
    gone.abort();
    await finished;
    await assert.rejects(waiting, { name: "AbortError" });
    assert.deepEqual(h.started, [0, 2]);
    await h.finishAll();
  });

  await t.step("a signal that aborts after the job finished changes nothing", async () => {
    const queue = new CodelQueue({ concurrency: 1, maxLength: 1 });
    const late = new AbortController();
    assert.equal(await queue.run(() => "done", late.signal), "done");
    late.abort();
    assert.equal(queue.stats.aborted, 0);
  });
});

Deno.test("CodelQueue suggests Retry-After from the queue length and recent service time", async () => {
  const h = harness({ concurrency: 2, maxLength: 10, target: 10_000, interval: 10_000 });
  assert.equal(h.queue.retryAfterSeconds(), 1, "at least 1 with no data");
  for (let i = 0; i < 8; i++) h.submit(i);
  await flush();
  h.advance(1_500);
  await h.finish(0);
  // 5 waiting + 1, at 1.5 s each, through 2 slots = 4.5 s.
  assert.equal(h.queue.length, 5);
  assert.equal(h.queue.retryAfterSeconds(), 5);
  await h.finishAll();
});

Deno.test("CodelQueue rejects nonsense options", () => {
  assert.throws(
    () => new CodelQueue({ concurrency: 0, maxLength: 1 }),
    /concurrency must be an integer >= 1, got 0/,
  );
  assert.throws(() => new CodelQueue({ concurrency: 1, maxLength: -1 }), /maxLength/);
  assert.throws(() => new CodelQueue({ concurrency: 1, maxLength: 1, target: 0 }), /target/);
});

Deno.test("CodelQueue.acquire() grants a slot without a closure, and the slot frees once", async () => {
  const queue = new CodelQueue({ concurrency: 1, maxLength: 5 });
  const release = await queue.acquire();
  assert.equal(queue.inFlight, 1);
  let second = false;
  const next = queue.acquire().then((r) => {
    second = true;
    return r;
  });
  await flush();
  assert.equal(second, false, "the only slot is taken");
  release();
  release();
  const releaseNext = await next;
  assert.equal(queue.inFlight, 1, "a second release() frees nothing more");
  releaseNext();
  assert.equal(queue.inFlight, 0);
});

Deno.test("CodelQueue follows a concurrency that changes: the workers ready now", async () => {
  let ready = 0;
  const queue = new CodelQueue({ concurrency: () => ready, maxLength: 5 });
  let granted = 0;
  const slots = [queue.acquire(), queue.acquire()];
  slots.forEach((s) => s.then(() => granted++));
  await flush();
  assert.equal(granted, 0, "no worker ready: everyone waits");
  ready = 1;
  queue.wake();
  await flush();
  assert.equal(granted, 1, "one worker came back: one job goes");
  ready = 2;
  queue.wake();
  await flush();
  assert.equal(granted, 2);
  for (const s of slots) (await s)();
  assert.equal(queue.inFlight, 0);
});
