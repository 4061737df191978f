import assert from "node:assert/strict";
import { busEncodings, pngBomb, riff, vp8Header } from "../inference/_image_fixtures.ts";
import { startTestServer } from "./_server.ts";

const BUS = Deno.readFileSync("tests/data/images/bus.jpg");

function fileForm(bytes: Uint8Array, type: string, name: string): FormData {
  const form = new FormData();
  form.append("image", new Blob([bytes as BlobPart], { type }), name);
  return form;
}

Deno.test("Every detection route takes PNG and WebP, and refuses their bombs with 413", async (t) => {
  const server = await startTestServer();
  const { png, webp } = await busEncodings();
  const images: [string, Uint8Array, string][] = [
    ["PNG", png, "image/png"],
    ["WebP", webp, "image/webp"],
  ];
  const labels = (list: { label: string }[]) => list.map((d) => d.label).sort();
  try {
    const native = await (await fetch(`${server.url}/api/v1/detect`, {
      method: "POST",
      headers: { "Content-Type": "image/jpeg" },
      body: BUS,
    })).json();
    for (const [name, bytes, type] of images) {
      await t.step(`${name} as the raw body of /api/v1/detect (${type})`, async () => {
        const res = await fetch(`${server.url}/api/v1/detect`, {
          method: "POST",
          headers: { "Content-Type": type },
          body: bytes as BodyInit,
        });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.deepEqual([body.width, body.height], [810, 1080]);
        assert.deepEqual(labels(body.detections), labels(native.detections));
      });
      await t.step(`${name} in the multipart field of /api/v1/detect`, async () => {
        const res = await fetch(`${server.url}/api/v1/detect`, {
          method: "POST",
          body: fileForm(bytes, type, `bus.${name.toLowerCase()}`),
        });
        assert.equal(res.status, 200);
        assert.deepEqual(labels((await res.json()).detections), labels(native.detections));
      });
      await t.step(`${name} on DeepStack's /v1/vision/detection`, async () => {
        const res = await fetch(`${server.url}/v1/vision/detection`, {
          method: "POST",
          body: fileForm(bytes, type, "snapshot"),
        });
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.success, true);
        assert.ok(body.predictions.some((p: { label: string }) => p.label === "bus"));
      });
      await t.step(`${name} on the camera page's /detect`, async () => {
        const res = await fetch(`${server.url}/detect`, {
          method: "POST",
          headers: { "HX-Request": "true" },
          body: fileForm(bytes, type, "upload"),
        });
        assert.equal(res.status, 200);
        assert.match(await res.text(), /<svg/);
      });
    }
    const bombs: [string, Uint8Array][] = [
      ["a 30000x30000 PNG", pngBomb()],
      ["a WebP claiming 16383x16383", riff(["VP8 ", vp8Header(16383, 16383)])],
    ];
    for (const [name, bytes] of bombs) {
      await t.step(`${name}: 413 on the native, DeepStack and page routes`, async () => {
        const nativeRes = await fetch(`${server.url}/api/v1/detect`, {
          method: "POST",
          headers: { "Content-Type": "application/octet-stream" },
          body: bytes as BodyInit,
        });
        assert.equal(nativeRes.status, 413);
        assert.equal((await nativeRes.json()).error.code, "too_many_pixels");
        const compat = await fetch(`${server.url}/v1/vision/detection`, {
          method: "POST",
          body: fileForm(bytes, "image/png", "x"),
        });
        assert.equal(compat.status, 413);
        assert.equal((await compat.json()).success, false);
        const page = await fetch(`${server.url}/detect`, {
          method: "POST",
          headers: { "HX-Request": "true" },
          body: fileForm(bytes, "image/png", "x"),
        });
        assert.equal(page.status, 413);
        await page.body?.cancel();
      });
    }
  } finally {
    await server.close();
  }
});
