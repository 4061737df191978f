/** README's and /api/docs' sample answers are what the service really returns for that photo. */
import assert from "node:assert/strict";
import { DEFAULTS } from "../../config.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { DEEPSTACK_SAMPLE, NATIVE_SAMPLE } from "../../routes/views/api_samples.ts";
import { serveApp } from "./_app.ts";

const BUS = await Deno.readFile("tests/data/images/bus.jpg");

/** Times and request ids differ per run: keep their names and types, not their values. */
function steady(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  if (out.timings) out.timings = Object.keys(out.timings as object).sort();
  for (const k of ["inferenceMs", "processMs", "analysisRoundTripMs", "requestId"]) {
    if (k in out) out[k] = typeof out[k];
  }
  return out;
}

/** The ```json blocks of a Markdown text, parsed. */
function jsonBlocks(markdown: string): Record<string, unknown>[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
}

const unescapeHtml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

Deno.test("the documented samples are the service's real answers for bus.jpg", async (t) => {
  const detector = await loadDetector(DEFAULTS);
  const app = serveApp(detector);
  try {
    const native = await (await fetch(`${app.url}/api/v1/detect`, {
      method: "POST",
      headers: { "Content-Type": "image/jpeg" },
      body: BUS,
    })).json();
    const form = new FormData();
    form.append("image", new Blob([BUS]), "photo.jpg");
    form.append("min_confidence", "0.5");
    const deepstack = await (await fetch(`${app.url}/v1/vision/detection`, {
      method: "POST",
      body: form,
    })).json();
    const hint = (actual: unknown) => `the service now answers:\n${JSON.stringify(actual)}`;

    await t.step("routes/views/api_samples.ts", () => {
      assert.deepEqual(steady(NATIVE_SAMPLE), steady(native), hint(native));
      assert.deepEqual(steady(DEEPSTACK_SAMPLE), steady(deepstack), hint(deepstack));
    });
    await t.step("README's json blocks", async () => {
      const blocks = jsonBlocks(await Deno.readTextFile("README.md"));
      const readmeNative = blocks.find((b) => "detections" in b && "model" in b);
      const readmeDeepStack = blocks.find((b) => "predictions" in b);
      assert.ok(readmeNative && readmeDeepStack, "README shows both answers");
      assert.deepEqual(steady(readmeNative), steady(native), hint(native));
      assert.deepEqual(steady(readmeDeepStack), steady(deepstack), hint(deepstack));
    });
    await t.step("/api/docs", async () => {
      const html = await (await fetch(`${app.url}/api/docs`)).text();
      const shown = [...html.matchAll(/<pre><code>([\s\S]*?)<\/code><\/pre>/g)]
        .map((m) => unescapeHtml(m[1]))
        .filter((text) => text.startsWith("{"))
        .map((text) => JSON.parse(text));
      assert.deepEqual(shown.map(steady), [steady(native), steady(deepstack)]);
    });
  } finally {
    await app.close();
    await detector.close();
  }
});
