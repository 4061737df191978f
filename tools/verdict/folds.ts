/** Seeded randomness and stratified folds, so every split is reproducible from its seed. */

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Assigns each item a fold 0..k-1 so every stratum (e.g. set + class) is spread evenly:
 * items of a stratum are shuffled, then dealt round-robin, continuing where the last stopped.
 */
export function stratifiedFolds(
  strata: readonly string[],
  options: { k: number; seed: number },
): number[] {
  const { k, seed } = options;
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`Cannot make ${k} folds: need >= 2`);
  const random = seededRandom(seed);
  const groups = new Map<string, number[]>();
  strata.forEach((s, i) => {
    if (!groups.has(s)) groups.set(s, []);
    groups.get(s)!.push(i);
  });
  const fold = new Array<number>(strata.length);
  let next = 0;
  for (const key of [...groups.keys()].sort()) {
    for (const i of shuffled(groups.get(key)!, random)) fold[i] = next++ % k;
  }
  return fold;
}
