/** Makes sure the page tests have a browser: Debian's Chromium, installed with apt when missing. */

const path = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function exists(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): boolean {
  try {
    const out = new Deno.Command(cmd, {
      args,
      stdout: "inherit",
      stderr: "inherit",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

if (!exists(path)) {
  const root = Deno.uid?.() === 0;
  console.error(`tests: ${path} not found; installing Debian's chromium for the page tests`);
  const sudo = root ? [] : ["sudo", "-n"];
  const apt = (args: string[]) =>
    sudo.length ? run(sudo[0], [...sudo.slice(1), "apt-get", ...args]) : run("apt-get", args);
  if (!(apt(["update", "-qq"]) && apt(["install", "-y", "-qq", "chromium"])) || !exists(path)) {
    console.error(
      `tests: cannot install chromium; install it (apt-get install chromium) or set ` +
        `CHROMIUM_PATH to a Chromium binary, then run the tests again`,
    );
    Deno.exit(1);
  }
}
