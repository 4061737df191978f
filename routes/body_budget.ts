/** A byte budget for request bodies being received or held, checked before any byte is read. */

/** Options for {@link BodyBudget}. */
export interface BodyBudgetOptions {
  /** Bytes all bodies together may hold. */
  maxBytes: number;
  /** Bytes one client's bodies may hold, so one client cannot take the whole budget. */
  perClientBytes: number;
}

/**
 * Counts the bytes that uploads may occupy: each is reserved at its declared Content-Length
 * (the body limit when it declares none, as chunked uploads do) before its first byte is read,
 * and released when its request is over. A reservation that would pass either cap is refused,
 * so a crowd of slow or stalled uploads is turned away at the door instead of holding memory
 * (100 stalled 5 MB uploads held 500 MB before this).
 */
export class BodyBudget {
  readonly maxBytes: number;
  readonly perClientBytes: number;
  #used = 0;
  readonly #byClient = new Map<string, number>();

  constructor(options: BodyBudgetOptions) {
    for (const [name, v] of Object.entries(options)) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new RangeError(`Cannot create a body budget: ${name} must be >= 1, got ${v}`);
      }
    }
    this.maxBytes = options.maxBytes;
    this.perClientBytes = Math.min(options.perClientBytes, options.maxBytes);
  }

  /** Bytes reserved now, by everyone. */
  get used(): number {
    return this.#used;
  }

  /** Bytes reserved now by `key`. */
  usedBy(key: string): number {
    return this.#byClient.get(key) ?? 0;
  }

  /**
   * Reserves `bytes` for `key`: returns the release function, or why not ("client" when that
   * client's share is full, "full" when the whole budget is).
   */
  reserve(key: string, bytes: number): (() => void) | "client" | "full" {
    const mine = this.usedBy(key);
    if (mine + bytes > this.perClientBytes) return "client";
    if (this.#used + bytes > this.maxBytes) return "full";
    this.#used += bytes;
    this.#byClient.set(key, mine + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= bytes;
      const left = this.usedBy(key) - bytes;
      if (left > 0) this.#byClient.set(key, left);
      else this.#byClient.delete(key);
    };
  }
}
