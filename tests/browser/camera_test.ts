/** The camera page in a real Chromium: fake cameras, no camera, back-off, overlay geometry. */
import assert from "node:assert/strict";
import { Hono, type MiddlewareHandler } from "hono";
// deno-lint-ignore no-import-prefix
import type { Browser, Page } from "npm:playwright-core@1.65.1";
import { DEFAULTS } from "../../config.ts";
import type { Detector } from "../../inference/detector.ts";
import { AppError } from "../../inference/errors.ts";
import { loadDetector } from "../../inference/load_detector.ts";
import { renderError } from "../../routes/errors.ts";
import { pageRoutes } from "../../routes/pages.tsx";
import {
  type Camera,
  collectErrors,
  launch,
  median,
  overlayMisfit,
  recordSnapshots,
  serve,
  writeMjpeg,
} from "./browser.ts";
import { HOTDOG_PHOTO, NOT_HOTDOG_PHOTO } from "./photos.ts";

const SCREENSHOTS = "tests/output/screenshots";
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
// The issue asks for the first verdict "within a few seconds"; this 2-core box is slow.
const FIRST_VERDICT_LIMIT_MS = 15_000;
// Rounding of the element box to device pixels; anything more is a misplaced overlay.
const FIT_TOLERANCE_PX = 1.5;

function pageApp(detector: Detector, beforeDetect?: MiddlewareHandler): Hono {
  const app = new Hono();
  if (beforeDetect) app.use("/detect", beforeDetect);
  app.route("/", pageRoutes({ inference: detector }));
  app.onError(renderError);
  return app;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withBrowser(camera: Camera, fn: (browser: Browser) => Promise<void>) {
  const browser = await launch(camera);
  try {
    await fn(browser);
  } finally {
    await browser.close();
  }
}

async function assertOverlayFits(page: Page, source: string, where: string) {
  const fit = await overlayMisfit(page, source);
  assert.ok(
    fit.worst <= FIT_TOLERANCE_PX,
    `${where}: overlay ${JSON.stringify(fit.svg)} is off the picture ${
      JSON.stringify(fit.content)
    }`,
  );
}

/** Waits for `n` more answers, so what is on screen was drawn at the current size. */
async function nextAnswers(answers: unknown[], n = 2) {
  const target = answers.length + n;
  await until(() => answers.length >= target, `${n} more answers`);
}

Deno.test({
  name: "The camera page works in a real Chromium",
  // onnxruntime-web probes for thread support with `new MessageChannel()` the first time a
  // session is made in a process, and never closes it; the resource sanitizer reports that
  // port against this test. Playwright, the server and the detector all close cleanly.
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const detector = await loadDetector(DEFAULTS);
    const server = serve(pageApp(detector).fetch);
    const temp: string[] = [];

    try {
      await t.step(
        "a fake camera showing a hot dog gets Hotdog with boxes within seconds",
        async () => {
          const mjpeg = await writeMjpeg(HOTDOG_PHOTO);
          temp.push(mjpeg);
          await withBrowser({ mjpeg }, async (browser) => {
            const page = await browser.newPage({ viewport: PHONE });
            const errors = collectErrors(page);
            const answers = recordSnapshots(page);

            const started = performance.now();
            await page.goto(server.url);
            await page.locator('#verdict[data-verdict="hotdog"]').waitFor({
              timeout: FIRST_VERDICT_LIMIT_MS,
            });
            const firstVerdict = performance.now() - started;
            assert.ok(firstVerdict < FIRST_VERDICT_LIMIT_MS);
            assert.ok((await page.locator("#overlay svg rect").count()) > 0);
            assert.equal(await page.locator(".verdict-word").textContent(), "Hotdog");
            assert.match(
              (await page.locator(".verdict-score").textContent())!,
              /^hot dog score \d+%$/,
            );
            await until(
              async () =>
                (await page.locator("#verdict-status").textContent())!.startsWith("Hotdog."),
              "the screen-reader announcement",
            );

            // Steady state: ten answers after the first, latest frame wins, one in flight.
            await until(() => answers.length >= 11, "11 answers");
            const steady = answers.slice(1, 11);
            const span = performance.now();
            await nextAnswers(answers, 5);
            const rate = 5 / ((performance.now() - span) / 1000);
            console.log(
              `  hotdog: first verdict ${Math.round(firstVerdict)} ms after navigation; ` +
                `median round trip ${Math.round(median(steady.map((a) => a.roundTrip)))} ms ` +
                `(server ${
                  Math.round(median(steady.map((a) => a.server)))
                } ms) over 10 snapshots; ` +
                `${rate.toFixed(1)} answers/s`,
            );

            await assertOverlayFits(page, "#video", "phone");
            await page.screenshot({ path: `${SCREENSHOTS}/phone-hotdog.png` });

            await page.setViewportSize(DESKTOP);
            await nextAnswers(answers);
            await assertOverlayFits(page, "#video", "desktop");
            await page.screenshot({ path: `${SCREENSHOTS}/desktop-hotdog.png` });

            assert.deepEqual(errors, []);
          });
        },
      );

      await t.step("a fake camera showing other food gets Not Hotdog with boxes", async () => {
        const mjpeg = await writeMjpeg(NOT_HOTDOG_PHOTO);
        temp.push(mjpeg);
        await withBrowser({ mjpeg }, async (browser) => {
          const page = await browser.newPage({ viewport: DESKTOP });
          const errors = collectErrors(page);
          const answers = recordSnapshots(page);
          await page.goto(server.url);
          await page.locator('#verdict[data-verdict="not-hotdog"]').waitFor({
            timeout: FIRST_VERDICT_LIMIT_MS,
          });
          assert.ok((await page.locator("#overlay svg rect").count()) > 0);
          assert.equal(await page.locator(".verdict-word").textContent(), "Not Hotdog");
          await nextAnswers(answers);
          await assertOverlayFits(page, "#video", "desktop");
          await page.screenshot({ path: `${SCREENSHOTS}/desktop-not-hotdog.png` });

          await page.setViewportSize(PHONE);
          await nextAnswers(answers);
          await assertOverlayFits(page, "#video", "phone");
          await page.screenshot({ path: `${SCREENSHOTS}/phone-not-hotdog.png` });

          // Pausing freezes the frame and stops the snapshots; resuming starts them again.
          await page.locator("#pause").click();
          await page.locator('#pause[aria-pressed="true"]').waitFor();
          await new Promise((r) => setTimeout(r, 300)); // let an in-flight answer land
          const paused = answers.length;
          await new Promise((r) => setTimeout(r, 1000));
          assert.equal(answers.length, paused, "no snapshots while paused");
          await page.locator("#pause").click();
          await nextAnswers(answers);

          // An upload takes over from the camera, and "Back to camera" hands back to it.
          await page.locator("#upload").setInputFiles(HOTDOG_PHOTO);
          await page.locator('#verdict[data-verdict="hotdog"]').waitFor({
            timeout: FIRST_VERDICT_LIMIT_MS,
          });
          assert.ok(await page.locator("#photo").isVisible());
          assert.ok(await page.locator("#video").isHidden());
          await assertOverlayFits(page, "#photo", "phone upload over the camera");
          await page.locator("#live").click();
          await page.locator('#verdict[data-verdict="not-hotdog"]').waitFor({
            timeout: FIRST_VERDICT_LIMIT_MS,
          });
          assert.ok(await page.locator("#video").isVisible());

          assert.deepEqual(errors, []);
        });
      });

      await t.step(
        "without a camera the page says so and an uploaded photo gets a verdict",
        async () => {
          await withBrowser("none", async (browser) => {
            const page = await browser.newPage({ viewport: PHONE });
            const errors = collectErrors(page);
            await page.goto(server.url);
            await page.locator("#fallback").waitFor({ state: "visible" });
            assert.equal(await page.locator("#fallback-title").textContent(), "No camera");
            assert.match((await page.locator("#fallback-message").textContent())!, /no camera/i);
            assert.ok(await page.locator('#fallback label[for="upload"]').isVisible());

            await page.locator("#upload").setInputFiles(HOTDOG_PHOTO);
            await page.locator('#verdict[data-verdict="hotdog"]').waitFor({
              timeout: FIRST_VERDICT_LIMIT_MS,
            });
            assert.ok(await page.locator("#photo").isVisible());
            assert.ok(await page.locator("#fallback").isHidden());
            assert.ok((await page.locator("#overlay svg rect").count()) > 0);
            await assertOverlayFits(page, "#photo", "phone upload");
            await page.screenshot({ path: `${SCREENSHOTS}/phone-upload.png` });
            assert.deepEqual(errors, []);
          });
        },
      );

      await t.step(
        "with the camera permission denied the page says so and uploads work",
        async () => {
          await withBrowser("denied", async (browser) => {
            const page = await browser.newPage({ viewport: DESKTOP });
            const errors = collectErrors(page);
            await page.goto(server.url);
            await page.locator("#fallback").waitFor({ state: "visible" });
            assert.equal(await page.locator("#fallback-title").textContent(), "Camera blocked");
            await page.locator("#upload").setInputFiles(NOT_HOTDOG_PHOTO);
            await page.locator('#verdict[data-verdict="not-hotdog"]').waitFor({
              timeout: FIRST_VERDICT_LIMIT_MS,
            });
            await assertOverlayFits(page, "#photo", "desktop upload");
            assert.deepEqual(errors, []);
          });
        },
      );

      await t.step(
        "a busy server is honoured: no snapshot before Retry-After, then it resumes",
        async () => {
          const hits: number[] = [];
          const busyTimes = 2;
          const busy = serve(
            pageApp(detector, async (_c, next) => {
              hits.push(performance.now());
              if (hits.length <= busyTimes) {
                throw new AppError("rate_limited", "Too many snapshots", { retryAfter: 2 });
              }
              await next();
            }).fetch,
          );
          try {
            const mjpeg = await writeMjpeg(HOTDOG_PHOTO);
            temp.push(mjpeg);
            await withBrowser({ mjpeg }, async (browser) => {
              const page = await browser.newPage({ viewport: PHONE });
              const errors = collectErrors(page);
              await page.goto(busy.url);
              const notice = page.locator("#notice");
              await notice.waitFor({ state: "visible", timeout: FIRST_VERDICT_LIMIT_MS });
              assert.match((await notice.textContent())!, /^Server busy, retrying in [12] s$/);
              await page.screenshot({ path: `${SCREENSHOTS}/phone-busy.png` });
              await page.locator('#verdict[data-verdict="hotdog"]').waitFor({ timeout: 20_000 });
              await notice.waitFor({ state: "hidden" });

              const gaps = hits.slice(1, busyTimes + 1).map((t, i) => t - hits[i]);
              console.log(`  back-off: gaps after each 429 ${gaps.map(Math.round).join(", ")} ms`);
              for (const gap of gaps) assert.ok(gap >= 2000, `sent again after ${gap} ms`);
              assert.ok(hits.length > busyTimes);

              // Chromium logs every non-2xx fetch to the console; the 429s were the point here.
              assert.ok(errors.some((e) => /status of 429/.test(e)), "Chromium logged the 429s");
              assert.deepEqual(errors.filter((e) => !/status of 429/.test(e)), []);
            });
          } finally {
            await busy.close();
          }
        },
      );
      await t.step("the camera keeps under the rate limit the server advertises", async () => {
        const hits: number[] = [];
        const limited = serve(
          pageApp(detector, async (c, next) => {
            hits.push(performance.now());
            await next();
            // One request a second, as the service's rateLimit middleware would advertise it.
            c.header("RateLimit-Policy", '"default";q=1;w=1');
          }).fetch,
        );
        try {
          const mjpeg = await writeMjpeg(HOTDOG_PHOTO);
          temp.push(mjpeg);
          await withBrowser({ mjpeg }, async (browser) => {
            const page = await browser.newPage({ viewport: PHONE });
            const errors = collectErrors(page);
            await page.goto(limited.url);
            await until(() => hits.length >= 4, "4 snapshots");
            const gaps = hits.slice(1, 4).map((t, i) => t - hits[i]);
            console.log(`  pacing at 1/s: gaps ${gaps.map(Math.round).join(", ")} ms`);
            // The page waits 1,050 ms by its clock; unpaced it would send every ~50 ms (one
            // detection). Half the interval is the line: a wide margin both ways, so a loaded
            // machine's jitter (a 414 ms gap once failed a 450 ms line at 2/s) cannot flake it.
            for (const gap of gaps) assert.ok(gap >= 525, `sent again after ${gap} ms`);
            assert.deepEqual(errors, []);
          });
        } finally {
          await limited.close();
        }
      });

      await t.step(
        "a snapshot the server refuses shows its message, then the page carries on",
        async () => {
          let refused = 0;
          const picky = serve(
            pageApp(detector, async (_c, next) => {
              if (refused++ === 0) {
                throw new AppError("corrupt_jpeg", "Cannot decode this snapshot");
              }
              await next();
            }).fetch,
          );
          try {
            const mjpeg = await writeMjpeg(HOTDOG_PHOTO);
            temp.push(mjpeg);
            await withBrowser({ mjpeg }, async (browser) => {
              const page = await browser.newPage({ viewport: PHONE });
              const errors = collectErrors(page);
              await page.goto(picky.url);
              const refusal = page.locator('#notice .error[data-error-code="corrupt_jpeg"]');
              await refusal.waitFor({ timeout: FIRST_VERDICT_LIMIT_MS });
              assert.equal(await refusal.textContent(), "422 Cannot decode this snapshot");
              await page.screenshot({ path: `${SCREENSHOTS}/phone-error.png` });
              await page.locator('#verdict[data-verdict="hotdog"]').waitFor({ timeout: 20_000 });
              await page.locator("#notice").waitFor({ state: "hidden" });
              assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
            });
          } finally {
            await picky.close();
          }
        },
      );
    } finally {
      await server.close();
      await detector.close();
      for (const path of temp) await Deno.remove(path);
    }
  },
});
