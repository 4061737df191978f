/** Runs the real service (`main.ts`) as a child process on a free loopback port. */

export interface ServiceProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number;
  rssBytes(): number;
  stop(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resident set size of a process, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

export async function spawnService(
  env: Record<string, string> = {},
  options: { denoArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.denoArgs ?? []),
      "--allow-read",
      "--allow-net",
      "--allow-env",
      "main.ts",
    ],
    env: { PORT: String(port), HOST: "127.0.0.1", LOG_REQUESTS: "false", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  let readyMs = -1;
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${url}/readyz`);
      await res.body?.cancel();
      if (res.status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  if (readyMs < 0) {
    child.kill();
    const err = new TextDecoder().decode((await child.output()).stderr);
    throw new Error(`Cannot start the service for the benchmark: not ready after 6 s\n${err}`);
  }
  return {
    url,
    pid: child.pid,
    readyMs,
    rssBytes: () => rssOf(child.pid),
    async stop() {
      child.kill("SIGTERM");
      await child.output();
    },
  };
}
