/**
 * Performs the Dockerfile's steps outside a container, since CI has no Docker engine: COPY into
 * a fresh folder standing in for WORKDIR, RUN there, then start CMD, run HEALTHCHECK, check
 * /readyz and one detection, and stop it with SIGTERM (it must exit 0).
 */
import { join } from "node:path";

const repo = new URL("..", import.meta.url).pathname;
const root = await Deno.makeTempDir({ prefix: "nothotdog-image-" });
const env: Record<string, string> = {};
let workdir = root;
let cmd: string[] = [];
let health: string[] = [];

// Paths inside the image (/app/...) live under the stand-in root.
const mapPath = (p: string) => p.replaceAll(/(^|[\s="'])\/app(?=\/|\b)/g, `$1${root}/app`);

const text = await Deno.readTextFile(join(repo, "Dockerfile"));
const instructions = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

function sh(command: string, cwd: string) {
  const out = new Deno.Command("bash", {
    args: ["-c", command],
    cwd,
    env: { ...env, PATH: Deno.env.get("PATH") ?? "" },
    stdout: "inherit",
    stderr: "inherit",
  }).outputSync();
  if (!out.success) throw new Error(`container step failed (exit ${out.code}): ${command}`);
}

for (const line of instructions) {
  const [op, ...rest] = line.split(/\s+/);
  const args = rest.join(" ");
  switch (op.toUpperCase()) {
    case "FROM": {
      const want = /deno:(?:\w+-)?(\d+\.\d+\.\d+)/.exec(args)?.[1];
      console.log(
        `# ${line} (here: deno ${Deno.version.deno}${
          want && want !== Deno.version.deno ? `, image pins ${want}` : ""
        })`,
      );
      break;
    }
    case "WORKDIR":
      workdir = mapPath(args);
      await Deno.mkdir(workdir, { recursive: true });
      break;
    case "ENV":
      for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) env[k] = mapPath(v);
      break;
    case "ARG": {
      const [k, v = ""] = args.split("=");
      env[k] = Deno.env.get(k) ?? v;
      break;
    }
    case "COPY": {
      // Docker's rules: a directory's contents go into the destination; files go into it when
      // it ends in "/" (or there are several), else the destination is the file itself.
      const parts = rest.filter((p) => !p.startsWith("--"));
      const destArg = parts.pop()!;
      const dest = join(workdir, destArg);
      for (const src of parts) {
        const isDir = Deno.statSync(join(repo, src)).isDirectory;
        const into = isDir || destArg.endsWith("/") || parts.length > 1;
        await Deno.mkdir(into ? dest : join(dest, ".."), { recursive: true });
        const from = JSON.stringify(join(repo, src) + (isDir ? "/." : ""));
        sh(`cp -R ${from} ${JSON.stringify(into && !isDir ? dest + "/" : dest)}`, repo);
      }
      break;
    }
    case "RUN":
      // The image's `deno` user does not exist here; ownership is the only step skipped.
      sh(mapPath(args.replace(/&&\s*chown\s+-R\s+\S+\s+\S+/, "")), workdir);
      break;
    case "HEALTHCHECK":
      health = JSON.parse(args.slice(args.indexOf("CMD") + 3));
      break;
    case "CMD":
      cmd = JSON.parse(args);
      break;
    default:
      console.log(`# ${op} skipped outside a container`);
  }
}

// Serving imports none of the offline code; the image leaves it out (README, Layout).
for (const dir of ["cli", "tools", "tests"]) {
  const copied = await Deno.stat(join(workdir, dir)).then(() => true, () => false);
  if (copied) {
    await Deno.remove(root, { recursive: true });
    throw new Error(`container steps: the image holds ${dir}/, which serving never loads`);
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = String((listener.addr as Deno.NetAddr).port);
listener.close();
const started = performance.now();
const child = new Deno.Command(cmd[0], {
  args: cmd.slice(1),
  cwd: workdir,
  env: {
    ...env,
    PORT: port,
    HOST: "127.0.0.1",
    LOG_REQUESTS: "false",
    PATH: Deno.env.get("PATH") ?? "",
  },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
let failure: unknown;
try {
  const url = `http://127.0.0.1:${port}`;
  let readyMs = 0;
  for (let i = 0; i < 300 && !readyMs; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) readyMs = performance.now() - started;
  }
  if (!readyMs) throw new Error("container CMD: not ready after 15 s");
  const check = new Deno.Command(health[0], {
    args: health.slice(1),
    env: { ...env, PORT: port },
  }).outputSync();
  if (!check.success) throw new Error("container HEALTHCHECK failed");
  const form = new FormData();
  const bus = await Deno.readFile(join(repo, "tests/data/images/bus.jpg"));
  form.append("image", new Blob([bus]), "bus.jpg");
  const res = await fetch(`${url}/detect`, { method: "POST", body: form });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`container detection answered ${res.status}`);
  console.log(`container steps: ready in ${Math.round(readyMs)} ms, healthcheck ok, detection 200`);
} catch (err) {
  failure = err;
}
try {
  child.kill("SIGTERM");
} catch {
  // It exited already; its status below says how.
}
const status = await child.status;
const du = new Deno.Command("du", { args: ["-sm", workdir], stdout: "piped" }).outputSync();
console.log(
  `container steps: the app's layers hold ${new TextDecoder().decode(du.stdout).split("\t")[0]} MB`,
);
await Deno.remove(root, { recursive: true });
if (failure) throw failure;
if (status.code !== 0) throw new Error(`container CMD exited ${status.code} after SIGTERM`);
console.log("container steps: SIGTERM -> exit 0");
