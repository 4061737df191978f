/** Test helpers for the real-browser tests: a loopback server, Chromium, a fake camera feed. */
// Test-only dependencies are pinned here, not in deno.json, so the image never installs them.
// deno-lint-ignore no-import-prefix
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

// Quiet, deterministic Chromium: no sandbox (containers), no GPU, no calls home.
const BASE_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export type Camera =
  /** A fake camera that plays this MJPEG file in a loop; permission granted. */
  | { mjpeg: string }
  /** No camera at all: headless Chromium without fake devices lists none. */
  | "none"
  /** A fake camera whose permission prompt is denied. */
  | "denied";

export function chromiumArgs(camera: Camera): string[] {
  if (camera === "none") return BASE_ARGS;
  if (camera === "denied") {
    return [...BASE_ARGS, "--use-fake-device-for-media-stream", "--deny-permission-prompts"];
  }
  return [
    ...BASE_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-video-capture=${camera.mjpeg}`,
  ];
}

export function launch(camera: Camera): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(camera) });
}

/** Serves `fetch` on an ephemeral loopback port. */
export function serve(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** An MJPEG "video" is JPEG frames back to back; one photo repeated keeps every frame the same size. */
export async function writeMjpeg(jpegPath: string, frames = 30): Promise<string> {
  const jpeg = await Deno.readFile(jpegPath);
  const out = new Uint8Array(jpeg.length * frames);
  for (let i = 0; i < frames; i++) out.set(jpeg, i * jpeg.length);
  const path = await Deno.makeTempFile({ prefix: "camera-", suffix: ".mjpeg" });
  await Deno.writeFile(path, out);
  return path;
}

/** Collects console errors and uncaught exceptions, so a test can assert there were none. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** How far the overlay SVG is from the picture's displayed content rect, in CSS pixels. */
export function overlayMisfit(page: Page, sourceSelector: string): Promise<{
  content: { left: number; top: number; width: number; height: number };
  svg: { left: number; top: number; width: number; height: number };
  worst: number;
}> {
  return page.evaluate((selector) => {
    // This runs in the page; Deno type-checks without the DOM library, so the DOM is untyped.
    // deno-lint-ignore no-explicit-any
    const { document, getComputedStyle } = globalThis as any;
    const node = document.querySelector(selector);
    const [w, h]: number[] = node.tagName === "VIDEO"
      ? [node.videoWidth, node.videoHeight]
      : [node.naturalWidth, node.naturalHeight];
    const box = node.getBoundingClientRect();
    const fit = getComputedStyle(node).objectFit;
    const scale = fit === "cover"
      ? Math.max(box.width / w, box.height / h)
      : Math.min(box.width / w, box.height / h);
    const content = {
      left: box.left + (box.width - w * scale) / 2,
      top: box.top + (box.height - h * scale) / 2,
      width: w * scale,
      height: h * scale,
    };
    const r = document.querySelector("#overlay svg").getBoundingClientRect();
    const svg = { left: r.left, top: r.top, width: r.width, height: r.height };
    const worst = Math.max(
      Math.abs(svg.left - content.left),
      Math.abs(svg.top - content.top),
      Math.abs(svg.width - content.width),
      Math.abs(svg.height - content.height),
    );
    return { content, svg, worst };
  }, sourceSelector);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Round trips and server totals of every answered snapshot, from the browser's own timing. */
export function recordSnapshots(page: Page) {
  const answers: { roundTrip: number; server: number; at: number }[] = [];
  page.on("requestfinished", async (req) => {
    if (!req.url().endsWith("/detect")) return;
    try {
      const res = await req.response();
      if (!res || res.status() !== 200) return;
      const server = /total;dur=([\d.]+)/.exec((await res.allHeaders())["server-timing"] ?? "");
      answers.push({
        roundTrip: req.timing().responseEnd,
        server: Number(server?.[1] ?? NaN),
        at: performance.now(),
      });
    } catch {
      // The page closed while this answer was being read: the test is done with it.
    }
  });
  return answers;
}
