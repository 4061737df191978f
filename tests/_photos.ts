/** Lists the labelled dev photos fetched by the asset step, with the truth from folder names. */
import { type LabelledPhoto, listLabelledPhotos } from "../tools/verdict/photos.ts";

export type { LabelledPhoto };

/** Photos under tests/data/hotdog/<set>/<class>/, sorted by path so samples are stable. */
export function listPhotos(root = "tests/data/hotdog"): Promise<LabelledPhoto[]> {
  return listLabelledPhotos([root]);
}
