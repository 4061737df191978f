import assert from "node:assert/strict";
import { join } from "node:path";
import { listLabelledPhotos, truthOf } from "../../../tools/verdict/photos.ts";

Deno.test("truthOf() reads both spellings, any case, and nothing else", () => {
  assert.equal(truthOf("hot_dog"), true);
  assert.equal(truthOf("HotDog"), true);
  assert.equal(truthOf("not_hot_dog"), false);
  assert.equal(truthOf("not_hotdog"), false);
  assert.equal(truthOf("pizza"), undefined);
});

Deno.test("listLabelledPhotos() finds JPEGs in class folders at any of 3 levels", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "nothotdog-photos-" });
  const touch = async (...parts: string[]) => {
    await Deno.mkdir(join(root, ...parts.slice(0, -1)), { recursive: true });
    await Deno.writeFile(join(root, ...parts), new Uint8Array([0xff, 0xd8]));
  };
  try {
    await touch("hotdog", "setA", "hot_dog", "a.jpg");
    await touch("hotdog", "setA", "not_hot_dog", "b.JPEG");
    await touch("hotdog", "setA", "not_hot_dog", "notes.txt");
    await touch("hotdog", "setB", "hotdog", "c.jpg");
    await touch("hotdog", "loose.jpg");
    await touch("hotdog", "setB", "pizza", "d.jpg");
    await t.step("from the root: every class folder, never the root's own name", async () => {
      const photos = await listLabelledPhotos([join(root, "hotdog")]);
      assert.deepEqual(
        photos.map((p) => [p.path.slice(root.length + 1), p.hotdog, p.set]),
        [
          ["hotdog/setA/hot_dog/a.jpg", true, "setA"],
          ["hotdog/setA/not_hot_dog/b.JPEG", false, "setA"],
          ["hotdog/setB/hotdog/c.jpg", true, "setB"],
        ],
      );
    });
    await t.step("a class folder on its own, listed twice, counts once", async () => {
      const dir = join(root, "hotdog", "setB", "hotdog");
      assert.equal((await listLabelledPhotos([dir, dir])).length, 1);
    });
    await t.step("a missing folder is an error naming it", async () => {
      await assert.rejects(
        () => listLabelledPhotos([join(root, "nope")]),
        /Cannot list photos in .*nope/,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
