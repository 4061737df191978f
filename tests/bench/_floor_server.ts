/**
 * The transport floor: a bare Deno.serve that reads the body, hands it to one worker (transfer, as
 * the pool does) that holds it `?hold=` ms, and answers JSON. What the shapes bench compares the
 * service's overhead with: the part no code of ours can remove on this machine.
 * Usage: deno run --allow-net --allow-read tests/bench/_floor_server.ts PORT
 */
const worker = new Worker(new URL("./_floor_worker.ts", import.meta.url), { type: "module" });
let pending: ((value: unknown) => void) | undefined;
worker.onmessage = (event) => pending?.(event.data);

Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, async (req) => {
  if (req.method !== "POST") return new Response("ok");
  const holdMs = Number(new URL(req.url).searchParams.get("hold") ?? 0);
  const bytes = new Uint8Array(await req.arrayBuffer());
  const result = await new Promise((resolve) => {
    pending = resolve;
    worker.postMessage({ bytes, holdMs }, [bytes.buffer]);
  });
  return Response.json(result);
});
