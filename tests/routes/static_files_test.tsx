/** Static files: browser modules served at URLs that change whenever anything they import does. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { renderError } from "../../routes/errors.ts";
import { staticFiles, versionModules } from "../../routes/static_files.ts";
import { CameraPage } from "../../routes/views/camera_page.tsx";

/** Sibling imports as served: the specifier, and the name it points at. */
function importsOf(text: string): { specifier: string; name: string }[] {
  return [...text.matchAll(/\b(?:from|import)\s*"(\.\/([\w-]+\.js)[^"]*)"/g)].map((m) => ({
    specifier: m[1],
    name: m[2],
  }));
}

Deno.test("versionModules() versions each module by its text and everything it imports", async (t) => {
  const sources = new Map([
    ["app.js", 'import { a } from "./a.js";\nimport "./b.js";\nexport const app = a;\n'],
    ["a.js", "export { c as a } from './c.js';\n"],
    ["b.js", "// b: no imports\n"],
    ["c.js", "export const c = 1;\n"],
  ]);
  const first = versionModules(sources);

  await t.step("sibling imports become versioned, in either quote style", () => {
    const app = first.get("app.js")!;
    assert.equal(
      app.text,
      `import { a } from "./a.js?v=${first.get("a.js")!.version}";\n` +
        `import "./b.js?v=${first.get("b.js")!.version}";\nexport const app = a;\n`,
    );
    assert.deepEqual(app.imports, ["a.js", "b.js"]);
    assert.equal(
      first.get("a.js")!.text,
      `export { c as a } from './c.js?v=${first.get("c.js")!.version}';\n`,
    );
    assert.match(app.version, /^[\w-]{16}$/);
  });

  await t.step("a change deep down changes every importer up to the entry, nothing else", () => {
    const changed = versionModules(new Map([...sources, ["c.js", "export const c = 2;\n"]]));
    for (const name of ["c.js", "a.js", "app.js"]) {
      assert.notEqual(changed.get(name)!.version, first.get(name)!.version, name);
    }
    assert.equal(changed.get("b.js")!.version, first.get("b.js")!.version);
    assert.deepEqual(versionModules(sources), first);
  });

  await t.step("an import of an unlisted module or an import cycle fails at start", () => {
    assert.throws(
      () => versionModules(new Map([["app.js", 'import "./gone.js";']])),
      /app\.js: it imports gone\.js, which is not a static module/,
    );
    const cycle = new Map([["x.js", 'import "./y.js";'], ["y.js", 'import "./x.js";']]);
    assert.throws(() => versionModules(cycle), /x\.js -> y\.js -> x\.js/);
  });
});

Deno.test("staticFiles() serves the page's module graph at immutable versioned URLs", async (t) => {
  const files = staticFiles();
  const app = new Hono();
  app.get("/static/:name", files.serve);
  app.onError(renderError);

  await t.step(
    "every import of the entry, followed as served, is versioned and served",
    async () => {
      const reached = new Set<string>();
      const pending = [files.url("app.js")];
      while (pending.length > 0) {
        const url = pending.pop()!;
        const res = await app.request(url);
        assert.equal(res.status, 200, url);
        assert.equal(res.headers.get("Content-Type"), "text/javascript; charset=utf-8");
        assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
        assert.equal(res.headers.get("ETag"), `"${url.split("?v=")[1]}"`);
        for (const { specifier, name } of importsOf(await res.text())) {
          assert.match(specifier, /^\.\/[\w-]+\.js\?v=[\w-]{16}$/, `${url} imports ${specifier}`);
          const target = `/static/${specifier.slice(2)}`;
          assert.equal(target, files.url(name));
          if (reached.has(target)) continue;
          reached.add(target);
          pending.push(target);
        }
      }
      assert.ok(reached.size >= 5, `the entry reaches ${reached.size} modules`);
      assert.deepEqual([...reached].sort(), files.imports("app.js").sort());
    },
  );

  await t.step("the page loads the entry as a module and preloads the rest", () => {
    const html = String(
      <CameraPage
        info={{ inputWidth: 320, inputHeight: 320 }}
        assets={{
          css: files.url("style.css"),
          htmx: files.url("htmx.min.js"),
          app: files.url("app.js"),
          modules: files.imports("app.js"),
        }}
      />,
    );
    assert.ok(html.includes(`<script type="module" src="${files.url("app.js")}"></script>`));
    for (const url of files.imports("app.js")) {
      assert.ok(html.includes(`<link rel="modulepreload" href="${url}">`), url);
    }
    assert.ok(html.indexOf(files.url("htmx.min.js")) < html.indexOf(files.url("app.js")));
  });

  await t.step("a module named without its version is revalidated, not kept", async () => {
    const res = await app.request("/static/geometry.js");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("Cache-Control"), "public, max-age=300");
    await res.body?.cancel();
  });

  await t.step("names outside the fixed map stay 404", async () => {
    for (const name of ["nope.js", "app.ts", "app.js.map", "..%2Fmain.ts", "geometry"]) {
      const res = await app.request(`/static/${name}`, { headers: { "HX-Request": "true" } });
      assert.equal(res.status, 404, name);
      assert.match(await res.text(), /data-error-code="not_found"/);
    }
  });
});
