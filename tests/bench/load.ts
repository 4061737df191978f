/** Load run: N clients post snapshots for T seconds against the real service in a child process. */
import { quantile, round } from "./_stats.ts";
import { spawnService } from "./_spawn.ts";

export interface LoadResult {
  clients: number;
  workers: number;
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
  goodputPerSecond: number;
  acceptedP50Ms: number;
  acceptedP99Ms: number;
  shed: number;
  limited: number;
  healthzP99Ms: number;
  healthzMaxMs: number;
  rssMB: number;
  readyMs: number;
}

export async function benchLoad(
  image: Uint8Array,
  options: { clients: number; seconds: number; workers: number; env?: Record<string, string> },
): Promise<LoadResult> {
  // Each client gets its own address through a trusted X-Forwarded-For, as behind a proxy, so
  // the per-client rate limit behaves as it would for real users instead of one shared bucket.
  const service = await spawnService({
    WORKERS: String(options.workers),
    TRUST_PROXY: "true",
    ...options.env,
  });
  const end = performance.now() + options.seconds * 1000;
  const accepted: number[] = [];
  const statuses: Record<string, number> = {};
  const healthz: number[] = [];
  let rssPeak = 0;

  const client = async (i: number) => {
    while (performance.now() < end) {
      const form = new FormData();
      form.append("image", new Blob([image as BlobPart], { type: "image/jpeg" }), "s.jpg");
      const t0 = performance.now();
      let status = "error";
      try {
        const res = await fetch(`${service.url}/detect`, {
          method: "POST",
          body: form,
          headers: { "X-Forwarded-For": `10.0.${i >> 8}.${i & 255}` },
        });
        await res.arrayBuffer();
        status = String(res.status);
        if (res.status === 200) accepted.push(performance.now() - t0);
        if (res.status === 503 || res.status === 429) {
          // A well-behaved client (the camera page, Frigate's retry) waits as told.
          const wait = Number(res.headers.get("retry-after") ?? 1);
          await new Promise((r) =>
            setTimeout(r, Math.max(0, Math.min(wait * 1000, end - performance.now())))
          );
        }
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  const prober = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await fetch(`${service.url}/healthz`);
      await res.arrayBuffer();
      healthz.push(performance.now() - t0);
      rssPeak = Math.max(rssPeak, service.rssBytes());
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await Promise.all([...Array.from({ length: options.clients }, (_, i) => client(i)), prober()]);
  const rss = service.rssBytes();
  await service.stop();
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    clients: options.clients,
    workers: options.workers,
    seconds: options.seconds,
    requests,
    statuses,
    goodputPerSecond: round(accepted.length / options.seconds),
    acceptedP50Ms: round(quantile(accepted, 0.5), 1),
    acceptedP99Ms: round(quantile(accepted, 0.99), 1),
    shed: statuses["503"] ?? 0,
    limited: statuses["429"] ?? 0,
    healthzP99Ms: round(quantile(healthz, 0.99), 1),
    healthzMaxMs: round(Math.max(...healthz), 1),
    rssMB: round(Math.max(rss, rssPeak) / 2 ** 20, 1),
    readyMs: round(service.readyMs, 0),
  };
}
