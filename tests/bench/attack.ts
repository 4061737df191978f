/** Issue 11's attacks as bench entries: scan bombs, stalled uploads and odd methods, each timed. */
import { encoded, scanBomb } from "../inference/_jpeg_fixtures.ts";
import { rawExchange, uploadHead } from "../routes/_raw.ts";
import { quantile, round } from "./_stats.ts";
import { spawnService } from "./_spawn.ts";

const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A normal client: one snapshot every `gapMs`, its statuses and the p50 of its 200s. */
async function normalClient(url: string, image: Uint8Array, untilMs: number, gapMs = 250) {
  const statuses: Record<string, number> = {};
  const ok: number[] = [];
  while (performance.now() < untilMs) {
    const form = new FormData();
    form.append("image", new Blob([image as BlobPart], { type: "image/jpeg" }), "s.jpg");
    const t0 = performance.now();
    let status = "error";
    try {
      const res = await fetch(`${url}/detect`, {
        method: "POST",
        body: form,
        headers: { "X-Forwarded-For": "203.0.113.1" },
      });
      await res.arrayBuffer();
      status = String(res.status);
      if (res.status === 200) ok.push(performance.now() - t0);
    } catch {
      // Counted as "error".
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    await sleep(gapMs);
  }
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { statuses, successRate: round(ok.length / total, 3), p50Ms: round(quantile(ok, 0.5), 1) };
}

export interface ScanBombResult {
  bombBytes: number;
  bombScans: number;
  idleP50Ms: number;
  attackP50Ms: number;
  attackSuccessRate: number;
  normalStatuses: Record<string, number>;
  bombStatuses: Record<string, number>;
  bombP50Ms: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  rssAfterMB: number;
  workerRestarts: string;
}

/** A normal client alone, then while 2 clients send scan bombs back to back. */
export async function benchScanBombs(
  image: Uint8Array,
  options: { seconds: number; workers: number },
): Promise<ScanBombResult> {
  const times = 20_000;
  const bomb = scanBomb(await encoded(4096, 4096, { progressive: true, smooth: true }), times);
  const service = await spawnService({ WORKERS: String(options.workers), TRUST_PROXY: "true" });
  try {
    const idle = await normalClient(service.url, image, performance.now() + options.seconds * 500);
    const rssBefore = service.rssBytes();
    let rssPeak = rssBefore;
    const end = performance.now() + options.seconds * 1000;
    const bombStatuses: Record<string, number> = {};
    const bombMs: number[] = [];
    const attacker = async (i: number) => {
      while (performance.now() < end) {
        const form = new FormData();
        form.append("image", new Blob([bomb as BlobPart], { type: "image/jpeg" }), "b.jpg");
        const t0 = performance.now();
        const res = await fetch(`${service.url}/detect`, {
          method: "POST",
          body: form,
          headers: { "X-Forwarded-For": `198.51.100.${i + 1}` },
        });
        await res.arrayBuffer();
        bombMs.push(performance.now() - t0);
        bombStatuses[res.status] = (bombStatuses[res.status] ?? 0) + 1;
        const retry = Number(res.headers.get("retry-after") ?? 0);
        await sleep(retry * 1000);
      }
    };
    const sampler = async () => {
      while (performance.now() < end) {
        rssPeak = Math.max(rssPeak, service.rssBytes());
        await sleep(100);
      }
    };
    const [attack] = await Promise.all([
      normalClient(service.url, image, end),
      attacker(0),
      attacker(1),
      sampler(),
    ]);
    await sleep(2000);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    return {
      bombBytes: bomb.length,
      bombScans: 7 + times,
      idleP50Ms: idle.p50Ms,
      attackP50Ms: attack.p50Ms,
      attackSuccessRate: attack.successRate,
      normalStatuses: attack.statuses,
      bombStatuses,
      bombP50Ms: round(quantile(bombMs, 0.5), 1),
      rssBeforeMB: round(rssBefore / MB, 1),
      rssPeakMB: round(rssPeak / MB, 1),
      rssAfterMB: round(service.rssBytes() / MB, 1),
      workerRestarts: /nothotdog_worker_restarts_total (\d+)/.exec(metrics)?.[1] ?? "?",
    };
  } finally {
    await service.stop();
  }
}

export interface StallResult {
  uploads: number;
  answered: Record<string, number>;
  answeredWithinS: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  rssAfterMB: number;
  normalSuccessRate: number;
  normalStatuses: Record<string, number>;
}

/**
 * `uploads` connections, each from its own address, announce 5 MB, send 4.9 MB and then a
 * byte every 10 s; a normal client keeps sending meanwhile. RSS during and after they close.
 */
export async function benchStalledUploads(
  image: Uint8Array,
  options: { uploads: number; seconds: number },
): Promise<StallResult> {
  const service = await spawnService({ WORKERS: "1", TRUST_PROXY: "true" });
  const open: Awaited<ReturnType<typeof rawExchange>>[] = [];
  try {
    const rssBefore = service.rssBytes();
    let rssPeak = rssBefore;
    const started = performance.now();
    const end = started + options.seconds * 1000;
    const answered: Record<string, number> = {};
    let lastAnswerMs = 0;
    const body = new Uint8Array(4.9 * 1e6).fill(0x55);
    const stall = async (i: number) => {
      const ex = await rawExchange(
        service.port,
        uploadHead("/api/v1/detect", 5 * 1e6, {
          "X-Forwarded-For": `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
        }),
      );
      open.push(ex);
      ex.response.then((r) => {
        answered[r.status] = (answered[r.status] ?? 0) + 1;
        lastAnswerMs = Math.max(lastAnswerMs, performance.now() - started);
      });
      if (!await ex.send(body)) return;
      while (performance.now() < end) {
        await sleep(10_000);
        if (!await ex.send(new Uint8Array([0x55]))) return;
      }
    };
    const sampler = async () => {
      while (performance.now() < end) {
        rssPeak = Math.max(rssPeak, service.rssBytes());
        await sleep(200);
      }
    };
    const stalls = Array.from({ length: options.uploads }, (_, i) => stall(i));
    const [normal] = await Promise.all([
      normalClient(service.url, image, end, 500),
      sampler(),
      ...stalls,
    ]);
    for (const ex of open) ex.close();
    await sleep(3000);
    return {
      uploads: options.uploads,
      answered,
      answeredWithinS: round(lastAnswerMs / 1000, 1),
      rssBeforeMB: round(rssBefore / MB, 1),
      rssPeakMB: round(rssPeak / MB, 1),
      rssAfterMB: round(service.rssBytes() / MB, 1),
      normalSuccessRate: normal.successRate,
      normalStatuses: normal.statuses,
    };
  } finally {
    for (const ex of open) ex.close();
    await service.stop();
  }
}

export interface MethodsResult {
  requests: number;
  metricsBytesBefore: number;
  metricsBytesAfter: number;
  rssBeforeMB: number;
  rssAfterMB: number;
}

/** `requests` requests, each with its own 8 KB method, then /metrics's size. */
export async function benchOddMethods(options: { requests: number }): Promise<MethodsResult> {
  const service = await spawnService({ WORKERS: "1" });
  try {
    const size = async () => (await (await fetch(`${service.url}/metrics`)).text()).length;
    const before = await size();
    const rssBefore = service.rssBytes();
    for (let i = 0; i < options.requests; i += 50) {
      await Promise.all(Array.from({ length: 50 }, async (_, k) => {
        const method = `M${i + k}${"X".repeat(8 * 1024)}`;
        const ex = await rawExchange(
          service.port,
          `${method} / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        await Promise.race([ex.response, ex.closed]);
        ex.close();
      }));
    }
    return {
      requests: options.requests,
      metricsBytesBefore: before,
      metricsBytesAfter: await size(),
      rssBeforeMB: round(rssBefore / MB, 1),
      rssAfterMB: round(service.rssBytes() / MB, 1),
    };
  } finally {
    await service.stop();
  }
}
