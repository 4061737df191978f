// Not Hotdog camera page, the entry: finds the page's elements and wires the modules together.
import { followLayout } from "./overlay.js";
import { CameraPage } from "./page.js";
import { encodeSnapshot, postSnapshot } from "./snapshot.js";
import { SnapshotLoop, watchFrames } from "./snapshot_loop.js";
import { PageStatus } from "./status.js";

const $ = (selector) => document.querySelector(selector);

// A module script runs once the document is parsed (after htmx, which is deferred before it).
const el = {
  app: $("#app"),
  stage: $("#stage"),
  video: $("#video"),
  photo: $("#photo"),
  overlay: $("#overlay"),
  verdictStatus: $("#verdict-status"),
  notice: $("#notice"),
  fallback: $("#fallback"),
  fallbackTitle: $("#fallback-title"),
  fallbackMessage: $("#fallback-message"),
  form: $("#snap"),
  pause: $("#pause"),
  live: $("#live"),
  cameraPick: $("#camera-pick"),
  camera: $("#camera"),
  upload: $("#upload"),
  stats: $("#stats"),
};
const snapshotSize = Number(el.app.dataset.snapshotSize) || 320;
const canvas = document.createElement("canvas");
const now = () => performance.now();

const status = new PageStatus(el, { verdict: () => $("#verdict"), now });
const { video } = el;
const loop = new SnapshotLoop({
  frames: {
    ready: () => video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0,
    grab: () =>
      encodeSnapshot(canvas, {
        source: video,
        width: video.videoWidth,
        height: video.videoHeight,
        longest: snapshotSize,
      }),
  },
  post: (blob, isCurrent) => postSnapshot(blob, { form: el.form, target: el.overlay, isCurrent }),
  status,
  isHidden: () => document.hidden,
  now,
});
const page = new CameraPage(el, {
  loop,
  canvas,
  snapshotSize,
  mediaDevices: navigator.mediaDevices,
});

followLayout(el, () => page.placeOverlay());
el.pause.addEventListener("click", () => page.togglePause());
el.live.addEventListener("click", () => page.backToCamera());
el.camera.addEventListener("change", () => page.pickCamera(el.camera.value));
el.upload.addEventListener("change", () => page.upload());
// A hidden tab cannot show boxes; stop sending and pick up again when it is back.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) loop.frameShown();
});
watchFrames(video, () => loop.frameShown());
page.startCamera();
