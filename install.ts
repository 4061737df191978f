/** `deno task start`'s first step: installs what serving loads and nothing else (no test-only packages). */

// No imports on purpose: this runs with --no-lock before anything is installed, so it must not
// pull in a package itself.

/** Builds of onnxruntime-web the service never loads (WebGPU, WebGL, JSEP, JSPI, asyncify, maps). */
const UNUSED_ORT = /\.map$|jsep|asyncify|jspi|webgl|webgpu/;

/**
 * deno.lock also pins test-only packages (Playwright, the native ONNX yardstick, test clients),
 * and Deno installs every package the lock names. The serving lock is the same lock with only
 * the specifiers of deno.json's imports, so each package still installs against the lock's
 * integrity hashes.
 */
export function servingLock(
  lock: Record<string, unknown>,
  imports: Record<string, string>,
): Record<string, unknown> {
  // "npm:/hono@4.13.19/" (a prefix mapping) pins the same package as "npm:hono@4.13.19".
  const keep = new Set(
    Object.values(imports).map((v) => v.replace(/^npm:\//, "npm:").replace(/\/$/, "")),
  );
  const specifiers = lock.specifiers as Record<string, string>;
  return {
    ...lock,
    specifiers: Object.fromEntries(Object.entries(specifiers).filter(([k]) => keep.has(k))),
  };
}

async function removeUnused(dir: string): Promise<number> {
  let freed = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) freed += await removeUnused(path);
    else if (entry.isFile && UNUSED_ORT.test(entry.name)) {
      freed += (await Deno.stat(path)).size;
      await Deno.remove(path);
    }
  }
  return freed;
}

export const SERVING_LOCK = ".serve.lock";

if (import.meta.main) {
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  const lock = servingLock(JSON.parse(await Deno.readTextFile("deno.lock")), config.imports);
  const text = JSON.stringify(lock, null, 2) + "\n";
  const old = await Deno.readTextFile(SERVING_LOCK).catch(() => "");
  if (old !== text) await Deno.writeTextFile(SERVING_LOCK, text);
  const install = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "--quiet",
      `--lock=${SERVING_LOCK}`,
    ],
  }).output();
  if (install.code !== 0) Deno.exit(install.code);
  // 136 MB of onnxruntime-web is builds for browsers' GPUs; the service loads 14 MB of it.
  const store = "node_modules/.deno";
  for await (const entry of Deno.readDir(store)) {
    if (entry.name.startsWith("onnxruntime-web@")) await removeUnused(`${store}/${entry.name}`);
  }
}
