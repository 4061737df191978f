/** Lists the labelled dev photos fetched by the asset step, with the truth from folder names. */
import { join } from "node:path";

export interface LabelledPhoto {
  path: string;
  hotdog: boolean;
  set: string;
}

const HOTDOG = new Set(["hotdog", "hot_dog"]);
const NOT_HOTDOG = new Set(["not_hotdog", "not_hot_dog"]);

/** Photos under tests/data/hotdog/<set>/<class>/, sorted by path so samples are stable. */
export async function listPhotos(root = "tests/data/hotdog"): Promise<LabelledPhoto[]> {
  const out: LabelledPhoto[] = [];
  for await (const set of Deno.readDir(root)) {
    if (!set.isDirectory) continue;
    for await (const cls of Deno.readDir(join(root, set.name))) {
      const hotdog = HOTDOG.has(cls.name) ? true : NOT_HOTDOG.has(cls.name) ? false : undefined;
      if (hotdog === undefined || !cls.isDirectory) continue;
      for await (const f of Deno.readDir(join(root, set.name, cls.name))) {
        if (f.isFile && /\.jpe?g$/i.test(f.name)) {
          out.push({ path: join(root, set.name, cls.name, f.name), hotdog, set: set.name });
        }
      }
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
