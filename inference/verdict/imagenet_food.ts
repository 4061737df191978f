/** ImageNet-1k's dishes, fruit and vegetables (ids 924-965 but hay), for "it looks like ...". */

/** The first food id; the names follow in id order (958, hay, is left out below). */
const FIRST = 924;
const NAMES = [
  "guacamole",
  "consomme",
  "hot pot",
  "trifle",
  "ice cream",
  "ice lolly",
  "French loaf",
  "bagel",
  "pretzel",
  "cheeseburger",
  "hotdog",
  "mashed potato",
  "head cabbage",
  "broccoli",
  "cauliflower",
  "zucchini",
  "spaghetti squash",
  "acorn squash",
  "butternut squash",
  "cucumber",
  "artichoke",
  "bell pepper",
  "cardoon",
  "mushroom",
  "Granny Smith",
  "strawberry",
  "orange",
  "lemon",
  "fig",
  "pineapple",
  "banana",
  "jackfruit",
  "custard apple",
  "pomegranate",
  "hay",
  "carbonara",
  "chocolate sauce",
  "dough",
  "meat loaf",
  "pizza",
  "potpie",
  "burrito",
] as const;

/** ImageNet's "hotdog, hot dog, red hot". */
export const IMAGENET_HOTDOG = 934;

/** id -> name of every ImageNet food class. */
export const IMAGENET_FOODS: ReadonlyMap<number, string> = new Map(
  NAMES.map((name, i) => [FIRST + i, name] as const).filter(([, name]) => name !== "hay"),
);

/** Softmax probabilities of logits (stable: max subtracted). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Pure: the most likely ImageNet food other than a hot dog, with its probability. */
export function lookalikeFood(probs: ArrayLike<number>): { label: string; score: number } {
  let best = { label: "", score: -1 };
  for (const [id, label] of IMAGENET_FOODS) {
    if (id !== IMAGENET_HOTDOG && probs[id] > best.score) best = { label, score: probs[id] };
  }
  return best;
}
