/** A bounded CoDel queue in front of the workers: at most `concurrency` jobs run, the rest wait or are shed. */

import { AppError } from "./errors.ts";

/** Options for {@link CodelQueue}. */
export interface CodelQueueOptions {
  /**
   * Jobs allowed to run at once: a number, or a function read at every event (the workers
   * ready now, so a job is only handed out when a worker can take it; call `wake()` when it
   * rises).
   */
  concurrency: number | (() => number);
  /** Most jobs waiting for a slot; an arrival that finds the queue full is rejected at once. */
  maxLength: number;
  /** Acceptable queueing delay in ms (CoDel's target). */
  target?: number;
  /** How long the delay may stay above target before shedding starts, in ms. */
  interval?: number;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
  /** Called with each dispatched job's queueing delay in ms (for a histogram). */
  onSojourn?: (ms: number) => void;
}

/** Counters and gauges for metrics. */
export interface CodelQueueStats {
  /** Jobs waiting for a slot. */
  length: number;
  /** Jobs running. */
  inFlight: number;
  /** Jobs handed a slot. */
  dispatched: number;
  /** Jobs rejected with 503: queue full on arrival plus CoDel drops. */
  shed: number;
  /** Of `shed`, those rejected because the queue was full on arrival. */
  shedFull: number;
  /** Waiters whose client went away (signal aborted) before they got a slot. */
  aborted: number;
  /** Whether CoDel is currently in its dropping state. */
  dropping: boolean;
  /** Queueing delay of the last dispatched job, in ms. */
  lastSojourn: number;
}

interface Waiter {
  enqueuedAt: number;
  grant: () => void;
  fail: (err: unknown) => void;
}

// Weight of the newest sample in the service-time average used for Retry-After.
const SERVICE_EWMA_WEIGHT = 0.2;
const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * The only waiting list in front of the workers: `run(fn, signal)` (or `acquire(signal)`) waits
 * for one of `concurrency` slots, runs `fn`, and frees the slot when it settles. Waiting jobs queue in FIFO
 * order and are shed with `AppError("overloaded")` (503) by CoDel (RFC 8289) when the queue
 * stops draining, so clients get a fast "try later" instead of a slow timeout.
 *
 * Why a slot rather than `enqueue` + `next()`: the pool then never sees more work than it has
 * ready workers, the slot is always released, and service time is measured for Retry-After.
 *
 * No timers: CoDel is evaluated on every event (arrival, slot freed), like sbroker's
 * `sbroker_codel_queue`, so the queue sheds even while all slots are stuck as long as requests
 * keep arriving. Waiters queued behind a stuck pool with no further arrivals are bounded only
 * by their own abort signals (client disconnect or a request timeout).
 */
export class CodelQueue {
  readonly #concurrency: () => number;
  readonly #maxLength: number;
  readonly #target: number;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #onSojourn?: (ms: number) => void;
  // A Set keeps insertion (FIFO) order and removes an aborted waiter in O(1).
  readonly #waiters = new Set<Waiter>();
  #inFlight = 0;
  #dispatched = 0;
  #shed = 0;
  #shedFull = 0;
  #aborted = 0;
  #lastSojourn = 0;
  #serviceMs = 0;
  // CoDel state, named as in RFC 8289.
  #firstAboveTime = 0;
  #dropping = false;
  #dropNext = 0;
  #count = 0;
  #lastCount = 0;

  constructor(options: CodelQueueOptions) {
    const { concurrency, maxLength, target = 100, interval = 1000, now = Date.now } = options;
    if (typeof concurrency === "number" && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new RangeError(
        `Cannot create CoDel queue: concurrency must be an integer >= 1, got ${concurrency}`,
      );
    }
    if (!Number.isInteger(maxLength) || maxLength < 0) {
      throw new RangeError(
        `Cannot create CoDel queue: maxLength must be an integer >= 0, got ${maxLength}`,
      );
    }
    if (!(target > 0) || !(interval > 0)) {
      throw new RangeError(
        `Cannot create CoDel queue: target and interval must be positive, got ${target} and ${interval}`,
      );
    }
    this.#concurrency = typeof concurrency === "number" ? () => concurrency : concurrency;
    this.#maxLength = maxLength;
    this.#target = target;
    this.#interval = interval;
    this.#now = now;
    this.#onSojourn = options.onSojourn;
  }

  /** Jobs waiting for a slot. */
  get length(): number {
    return this.#waiters.size;
  }

  /** Jobs running. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * True when an arrival now would be rejected for a full queue: lets a handler refuse before
   * it reads (and waits for) the request body.
   */
  get full(): boolean {
    return this.#waiters.size >= this.#maxLength && this.#inFlight >= this.#concurrency();
  }

  /** A snapshot of the counters. */
  get stats(): CodelQueueStats {
    return {
      length: this.#waiters.size,
      inFlight: this.#inFlight,
      dispatched: this.#dispatched,
      shed: this.#shed,
      shedFull: this.#shedFull,
      aborted: this.#aborted,
      dropping: this.#dropping,
      lastSojourn: this.#lastSojourn,
    };
  }

  /**
   * Seconds a shed client should wait: the time for the current queue plus one to drain
   * through the slots at the recent average service time; at least 1, at most 60.
   */
  retryAfterSeconds(): number {
    // No slot at all (every worker being replaced) drains as slowly as one.
    const drainMs = (this.#waiters.size + 1) * this.#serviceMs / Math.max(1, this.#concurrency());
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(drainMs / 1000)));
  }

  /**
   * Runs `fn` once a slot is free and returns its result. Rejects with `AppError("overloaded")`
   * when shed, or with `signal.reason` when the signal aborts before a slot is granted (the job
   * is then removed at once and `fn` never runs).
   */
  async run<R>(fn: () => R | Promise<R>, signal?: AbortSignal): Promise<R> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Waits for a slot and resolves with the function that frees it (call it exactly once, when
   * the job settles): `run` without a closure, for a caller that runs the job itself. Rejects
   * as `run` does, holding nothing.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.#admit(signal);
    // The grant resolves in a microtask; a client that left in between gets no worker either.
    if (signal?.aborted) {
      this.#release();
      this.#aborted++;
      throw signal.reason;
    }
    const started = this.#now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(this.#now() - started);
    };
  }

  /** Hands free slots to waiters: call when `concurrency` rose (a worker became ready). */
  wake(): void {
    this.#pump(this.#now());
  }

  #admit(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      this.#aborted++;
      return Promise.reject(signal.reason);
    }
    const now = this.#now();
    // Let CoDel look at the head first: a stuck pool dispatches nothing, so arrivals are the
    // only moments at which it can shed.
    this.#control(now);
    if (this.full) return Promise.reject(this.#rejectFull());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // Removed now, not when it reaches the head, so it neither holds a place nor a worker.
        if (this.#waiters.delete(waiter)) {
          this.#aborted++;
          reject(signal!.reason);
        }
      };
      const waiter: Waiter = {
        enqueuedAt: now,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        fail: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#pump(now);
    });
  }

  /**
   * Throws the queue-full rejection (and counts it) when an arrival now would be refused, so a
   * handler can shed before reading the body; returns otherwise.
   */
  checkAdmission(): void {
    this.#control(this.#now());
    if (this.full) throw this.#rejectFull();
  }

  #rejectFull(): AppError {
    this.#shed++;
    this.#shedFull++;
    const retry = this.retryAfterSeconds();
    return new AppError(
      "overloaded",
      `Server is overloaded: ${this.#waiters.size} requests already waiting; retry in ${retry} s`,
      { retryAfter: retry },
    );
  }

  /** Frees a slot; `serviceMs` is how long the job ran, absent when it never ran. */
  #release(serviceMs?: number): void {
    this.#inFlight--;
    if (serviceMs !== undefined) {
      this.#serviceMs = this.#serviceMs === 0
        ? serviceMs
        : this.#serviceMs + SERVICE_EWMA_WEIGHT * (serviceMs - this.#serviceMs);
    }
    this.#pump(this.#now());
  }

  /** Hands free slots to the head of the queue, letting CoDel shed before each hand-off. */
  #pump(now: number): void {
    while (this.#inFlight < this.#concurrency()) {
      this.#control(now);
      const head = this.#head();
      if (!head) return;
      this.#waiters.delete(head);
      const sojourn = now - head.enqueuedAt;
      this.#inFlight++;
      this.#dispatched++;
      this.#lastSojourn = sojourn;
      this.#onSojourn?.(sojourn);
      head.grant();
    }
  }

  /**
   * CoDel (RFC 8289), judged on the head's sojourn time at each event.
   *
   * - A queue whose head waited less than `target` is draining fine: forget any bad streak and
   *   stop dropping. Short bursts therefore never shed anything.
   * - A head above target starts a streak; only a streak lasting a whole `interval` means a
   *   standing queue (more work than capacity), not a burst, so only then is one head shed.
   *   An empty queue ends the streak: a queue that empties has no standing backlog.
   * - While the streak lasts, shed one more head at interval / sqrt(count): the spacing shrinks
   *   slowly so the drop rate rises until arrivals match capacity, without shedding everything.
   * - On re-entering soon after leaving, resume near the old drop rate (count - lastCount)
   *   because the overload most likely never went away.
   */
  #control(now: number): void {
    for (;;) {
      const head = this.#head();
      if (!head || now - head.enqueuedAt < this.#target) {
        this.#firstAboveTime = 0;
        this.#dropping = false;
        return;
      }
      if (this.#firstAboveTime === 0) {
        // RFC 8289 starts the streak when a dequeued packet is first seen above target. We are
        // evaluated only at events, but the head's wait grows continuously and everything ahead
        // of it waited longer, so the delay has been above target since exactly this moment.
        // Using it (not `now`) lets a stalled pool shed at the first arrival after the streak.
        this.#firstAboveTime = head.enqueuedAt + this.#target + this.#interval;
      }
      if (now < this.#firstAboveTime) return;
      if (!this.#dropping) {
        this.#dropping = true;
        const delta = this.#count - this.#lastCount;
        this.#count = delta > 1 && now - this.#dropNext < 16 * this.#interval ? delta : 1;
        this.#lastCount = this.#count;
        this.#dropNext = now + this.#interval / Math.sqrt(this.#count);
      } else if (now >= this.#dropNext) {
        this.#count++;
        this.#dropNext += this.#interval / Math.sqrt(this.#count);
      } else {
        return;
      }
      this.#drop(head, now);
    }
  }

  #drop(waiter: Waiter, now: number): void {
    this.#waiters.delete(waiter);
    this.#shed++;
    const waited = now - waiter.enqueuedAt;
    const retry = this.retryAfterSeconds();
    waiter.fail(
      new AppError(
        "overloaded",
        `Server is overloaded: request waited ${waited} ms for a worker (target ${this.#target} ms); retry in ${retry} s`,
        { retryAfter: retry },
      ),
    );
  }

  #head(): Waiter | undefined {
    return this.#waiters.values().next().value;
  }
}
