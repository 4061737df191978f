/** Lists labelled photos: folders named hotdog/hot_dog or not_hotdog/not_hot_dog say the truth. */
import { basename, dirname, join, resolve } from "node:path";

export interface LabelledPhoto {
  path: string;
  hotdog: boolean;
  /** The class folder's parent folder name, e.g. `seefood-train`: the dev set. */
  set: string;
}

const HOTDOG = new Set(["hotdog", "hot_dog"]);
const NOT_HOTDOG = new Set(["not_hotdog", "not_hot_dog"]);

/** The truth a folder name says, or undefined when it says none. */
export function truthOf(folder: string): boolean | undefined {
  const name = folder.toLowerCase();
  return HOTDOG.has(name) ? true : NOT_HOTDOG.has(name) ? false : undefined;
}

/**
 * JPEGs in class folders (named for a class, holding no subfolders) at or under each directory:
 * a class folder itself, a set of them, or a folder of sets, up to 3 levels down. Sorted by
 * path so samples and folds are stable.
 */
export async function listLabelledPhotos(dirs: readonly string[]): Promise<LabelledPhoto[]> {
  const out = new Map<string, LabelledPhoto>();
  // A class folder holds photos only: a folder with subfolders is a container even when its
  // name says a class (the mirror's root is `hotdog/`, above the sets).
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await Array.fromAsync(Deno.readDir(dir));
    const subdirs = entries.filter((e) => e.isDirectory);
    const hotdog = subdirs.length > 0 ? undefined : truthOf(basename(resolve(dir)));
    if (hotdog !== undefined) {
      const set = basename(dirname(resolve(dir)));
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isFile && /\.jpe?g$/i.test(e.name)) out.set(path, { path, hotdog, set });
      }
    }
    if (depth > 0) { for (const e of subdirs) await walk(join(dir, e.name), depth - 1); }
  };
  for (const dir of dirs) {
    try {
      await walk(dir, 3);
    } catch (err) {
      throw new Error(`Cannot list photos in ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
