/** Runs a bench module in its own Deno process and returns the JSON it prints last. */

/** `deno run --allow-all <module> ...args`; throws with the child's stderr if it fails. */
export async function runBenchChild<T>(module: URL, args: readonly string[]): Promise<T> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", module.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `Cannot run ${module.pathname}: exit ${out.code}\n${text.decode(out.stderr)}`,
    );
  }
  const lines = text.decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}
