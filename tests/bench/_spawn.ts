/** Runs the real service (`main.ts`) as a child process on a free loopback port (benches, tests). */

export interface ServiceProcess {
  url: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number;
  rssBytes(): number;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>;
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
  options: { denoArgs?: string[]; readyTimeoutMs?: number } = {},
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
  // Workers warm every frame shape before /readyz says 200: seconds on a loaded 2-core box.
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  if (!(await untilOk(`${url}/readyz`, readyTimeoutMs))) {
    child.kill();
    const err = new TextDecoder().decode((await child.output()).stderr);
    throw new Error(`Cannot start the service: not ready after ${readyTimeoutMs} ms\n${err}`);
  }
  const readyMs = performance.now() - started;
  return {
    url,
    port,
    pid: child.pid,
    readyMs,
    rssBytes: () => rssOf(child.pid),
    async stop() {
      child.kill("SIGTERM");
      return (await child.output()).code;
    },
  };
}

/** The bare Deno.serve + one worker of `_floor_server.ts` on a free loopback port. */
export async function spawnFloorServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      new URL("./_floor_server.ts", import.meta.url).pathname,
      String(port),
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  if (await untilOk(url, 10_000)) {
    return {
      url,
      async stop() {
        child.kill("SIGTERM");
        await child.status;
      },
    };
  }
  child.kill();
  await child.status;
  throw new Error("Cannot start the transport floor server: not listening after 10 s");
}

/** Polls `url` every 10 ms until it answers 200 (true) or `timeoutMs` passes (false). */
async function untilOk(url: string, timeoutMs: number): Promise<boolean> {
  for (let i = 0; i < timeoutMs / 10; i++) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
