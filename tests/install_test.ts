import assert from "node:assert/strict";
import { servingLock } from "../install.ts";

Deno.test("servingLock() keeps deno.json's imports and drops test-only packages", async () => {
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  const lock = JSON.parse(await Deno.readTextFile("deno.lock"));
  const kept = Object.keys(servingLock(lock, config.imports).specifiers as object).sort();
  const wanted = [
    ...new Set(
      Object.values(config.imports as Record<string, string>).map((v) =>
        v.replace(/^npm:\//, "npm:").replace(/\/$/, "")
      ),
    ),
  ].sort();
  // Every serving package stays pinned (@jsquash/png is only imported as a prefix mapping).
  assert.deepEqual(kept, wanted.filter((w) => w in lock.specifiers));
  assert.ok(kept.includes("npm:@jsquash/png@3.1.1") && kept.includes("npm:onnxruntime-web@1.30.0"));
  for (const testOnly of ["playwright-core", "onnxruntime-node"]) {
    assert.ok(Object.keys(lock.specifiers).some((k) => k.includes(testOnly)), testOnly);
    assert.ok(!kept.some((k) => k.includes(testOnly)), testOnly);
  }
  // The integrity hashes stay: each package still installs against them.
  assert.deepEqual(servingLock(lock, config.imports).npm, lock.npm);
});
