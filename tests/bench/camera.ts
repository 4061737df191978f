/** The camera page's round trip per snapshot: real Chromium, fake camera, the real service. */
import { launch, recordSnapshots } from "../browser/browser.ts";
import { HOTDOG_PHOTO } from "../browser/photos.ts";
import { type ServiceProcess, spawnService } from "./_spawn.ts";
import { encodeJpeg, snapshotRgba } from "./_snapshot.ts";
import { median, round } from "./_stats.ts";

export interface CameraRow {
  letterbox: string;
  camera: string;
  answers: number;
  /** Browser-side: request start to response end (ms), p50 over the answers after the first. */
  roundTripP50: number;
  /** Server-Timing `total` of the same answers. */
  serverP50: number;
  answersPerSecond: number;
}

const CAMERAS = [
  { name: "16:9 1280x720", aspect: 16 / 9, long: 1280 },
  { name: "4:3 960x720", aspect: 4 / 3, long: 960 },
];

/** An MJPEG file of one frame repeated: the hot-dog photo cropped to the camera's shape. */
async function cameraFeed(aspect: number, long: number): Promise<string> {
  const frame = await encodeJpeg(await snapshotRgba(HOTDOG_PHOTO, long, { aspect }), 85);
  const path = await Deno.makeTempFile({ prefix: "camera-", suffix: ".mjpeg" });
  const out = new Uint8Array(frame.length * 30);
  for (let i = 0; i < 30; i++) out.set(frame, i * frame.length);
  await Deno.writeFile(path, out);
  return path;
}

async function roundTrips(service: ServiceProcess, mjpeg: string, answers: number) {
  const browser = await launch({ mjpeg });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const seen = recordSnapshots(page);
    await page.goto(service.url);
    const deadline = performance.now() + 60_000;
    while (seen.length < answers + 1 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const steady = seen.slice(1, answers + 1);
    if (steady.length < 2) {
      throw new Error(`Cannot measure the camera page: ${seen.length} answers`);
    }
    return {
      answers: steady.length,
      roundTripP50: round(median(steady.map((a) => a.roundTrip)), 1),
      serverP50: round(median(steady.map((a) => a.server)), 1),
      answersPerSecond: round(
        (steady.length - 1) / ((steady[steady.length - 1].at - steady[0].at) / 1000),
        1,
      ),
    };
  } finally {
    await browser.close();
  }
}

/**
 * One service per letterbox mode, both up at once and measured in turn per camera, so the
 * comparison shares the machine's load. The rate limit is lifted so the page's pacing does not
 * hide the round trip.
 */
export async function benchCamera(options: { answers: number }): Promise<CameraRow[]> {
  const modes = ["auto", "square"];
  const services: ServiceProcess[] = [];
  const feeds: string[] = [];
  try {
    for (const m of modes) {
      services.push(
        await spawnService({ LETTERBOX: m, RATE_LIMIT_RATE: "1000", RATE_LIMIT_BURST: "1000" }),
      );
    }
    const rows: CameraRow[] = [];
    for (const [c, camera] of CAMERAS.entries()) {
      const feed = await cameraFeed(camera.aspect, camera.long);
      feeds.push(feed);
      // Alternate which mode goes first, so drift in the machine's load does not favour one.
      for (const i of c % 2 === 0 ? [0, 1] : [1, 0]) {
        const r = await roundTrips(services[i], feed, options.answers);
        rows.push({ letterbox: modes[i], camera: camera.name, ...r });
      }
    }
    return rows.sort((a, b) =>
      a.camera.localeCompare(b.camera) || (a.letterbox < b.letterbox ? -1 : 1)
    );
  } finally {
    for (const s of services) await s.stop();
    for (const f of feeds) await Deno.remove(f);
  }
}
