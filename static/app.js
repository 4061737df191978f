// Not Hotdog camera page: starts the camera, posts snapshots (latest frame wins), places the overlay.
"use strict";

const $ = (selector) => document.querySelector(selector);

const CAMERA_ATTEMPTS = [
  // Tight first: the rear camera at a size and rate that look good and downsample cleanly.
  {
    video: {
      facingMode: "environment",
      width: { ideal: 1280 },
      height: { ideal: 720 },
      frameRate: { min: 24, ideal: 30, max: 30 },
    },
  },
  // Loose: some cameras refuse the frame-rate range; any rear-ish camera will do.
  { video: { facingMode: "environment" } },
  // Anything with a lens.
  { video: true },
];

// These mean "this camera or these constraints will not do"; try the next attempt.
const RETRYABLE = new Set([
  "OverconstrainedError",
  "NotFoundError",
  "NotReadableError",
  "AbortError",
  "TypeError",
]);

const BUSY = new Set([429, 503]);

function main() {
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

  const state = {
    /** "camera" while the live video is the source, "photo" after an upload, "none" before. */
    mode: "none",
    stream: null,
    paused: false,
    inFlight: false,
    /** A video frame newer than the last snapshot has been shown. */
    frameDue: false,
    /** An uploaded photo waiting to be sent. */
    photoBlob: null,
    /** Bumped whenever the source changes, so answers about an old source are dropped. */
    generation: 0,
    retryAt: 0,
    retryTimer: 0,
    countdown: 0,
    /** The last upload, kept to send again after a back-off. */
    lastPhoto: null,
    answers: [],
    lastVerdict: "pending",
    /** The server's advertised sustained rate, as a gap between snapshots (ms). */
    minInterval: 0,
    lastSentAt: -Infinity,
  };

  // ---- sending ----------------------------------------------------------------------------

  /**
   * Sends the newest thing there is to send, unless a request is already out or we must wait.
   * Latest frame wins: the snapshot is taken when it can be sent, never queued, so an answer
   * that arrives late is followed by the frame on screen now, not by a backlog.
   */
  function pump() {
    if (state.inFlight || performance.now() < state.retryAt || document.hidden) return;
    if (state.mode === "photo" && state.photoBlob) {
      const blob = state.photoBlob;
      state.photoBlob = null;
      send(() => Promise.resolve(blob));
    } else if (state.mode === "camera" && !state.paused && state.frameDue && hasVideoFrame()) {
      // Too soon for the server's rate limit: the next video frame will ask again.
      if (performance.now() - state.lastSentAt < state.minInterval) return;
      state.frameDue = false;
      send(() => snapshot(el.video, el.video.videoWidth, el.video.videoHeight));
    }
  }

  function hasVideoFrame() {
    return el.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && el.video.videoWidth > 0;
  }

  /** Draws the source so its longest side is the server's input size, as a JPEG blob. */
  function snapshot(source, width, height) {
    const scale = Math.min(1, snapshotSize / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => {
      canvas.toBlob(
        (blob) => blob ? resolve(blob) : reject(new Error("Could not encode the snapshot")),
        "image/jpeg",
        0.7,
      );
    });
  }

  async function send(makeBlob) {
    state.inFlight = true;
    state.lastSentAt = performance.now();
    const generation = state.generation;
    let xhr = null;
    const started = performance.now();
    try {
      const blob = await makeBlob();
      const values = new FormData();
      values.append("image", blob, "snapshot.jpg");
      // Answers for an old source (the camera before an upload, say) must not be drawn.
      const onBeforeSwap = (event) => {
        xhr = event.detail.xhr;
        if (generation !== state.generation) event.detail.shouldSwap = false;
      };
      const onAfterRequest = (event) => (xhr = event.detail.xhr);
      el.form.addEventListener("htmx:beforeSwap", onBeforeSwap);
      el.form.addEventListener("htmx:afterRequest", onAfterRequest);
      try {
        // The hidden form makes htmx send multipart; the blob rides along as `values`.
        await htmx.ajax("POST", "/detect", {
          source: el.form,
          target: el.overlay,
          swap: "innerHTML",
          values,
        });
      } catch {
        // Network error or timeout: xhr.status is 0, handled below.
      } finally {
        el.form.removeEventListener("htmx:beforeSwap", onBeforeSwap);
        el.form.removeEventListener("htmx:afterRequest", onAfterRequest);
      }
    } catch (err) {
      showNotice(err.message);
    }
    state.inFlight = false;
    if (generation === state.generation) settle(xhr, performance.now() - started);
    pump();
  }

  /** Reads how the request went: stats on success, a back-off when the server is busy. */
  function settle(xhr, roundTrip) {
    const status = xhr ? xhr.status : -1;
    if (status > 0) pace(xhr);
    if (status === 200) {
      hideNotice();
      recordAnswer(roundTrip, serverTotal(xhr));
      announceVerdict();
    } else if (BUSY.has(status)) {
      backOff(retryAfterSeconds(xhr), "Server busy");
    } else if (status === 0) {
      backOff(3, "Cannot reach the server");
    } else if (status >= 400) {
      // htmx put the server's error fragment in the notice.
      el.notice.hidden = false;
      // Do not hammer the server with frames it cannot answer.
      if (state.mode === "camera") {
        state.retryAt = performance.now() + 1000;
        scheduleRetry();
      }
    }
  }

  /**
   * Keeps the camera under the server's advertised rate limit (`RateLimit-Policy: ...;q=20;w=2`
   * is 20 requests per 2 s), so a fast server is not asked for more and then told to wait.
   */
  function pace(xhr) {
    const policy = xhr.getResponseHeader("RateLimit-Policy") || "";
    const q = Number(/;\s*q=([\d.]+)/.exec(policy)?.[1]);
    const w = Number(/;\s*w=([\d.]+)/.exec(policy)?.[1]);
    state.minInterval = q > 0 && w > 0 ? (w * 1000 / q) * 1.05 : 0;
  }

  function retryAfterSeconds(xhr) {
    const header = xhr.getResponseHeader("Retry-After");
    if (!header) return 2;
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(header);
    return Number.isNaN(date) ? 2 : Math.max(0, (date - Date.now()) / 1000);
  }

  function backOff(seconds, why) {
    state.retryAt = performance.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((state.retryAt - performance.now()) / 1000);
      if (left > 0) showNotice(`${why}, retrying in ${left} s`, "busy");
    };
    tick();
    clearInterval(state.countdown);
    state.countdown = setInterval(() => {
      tick();
      if (performance.now() >= state.retryAt) clearInterval(state.countdown);
    }, 250);
    scheduleRetry();
  }

  function scheduleRetry() {
    clearTimeout(state.retryTimer);
    const wait = Math.max(0, state.retryAt - performance.now());
    state.retryTimer = setTimeout(() => {
      // The answer the wait was for may have been a photo's: ask again for it.
      if (state.mode === "photo" && !state.photoBlob && state.lastPhoto) {
        state.photoBlob = state.lastPhoto;
      }
      state.frameDue = true;
      pump();
    }, wait + 10);
  }

  // ---- what the page shows ----------------------------------------------------------------

  function serverTotal(xhr) {
    const header = xhr.getResponseHeader("Server-Timing") || "";
    const match = /(?:^|,)\s*total;dur=([\d.]+)/.exec(header);
    return match ? Number(match[1]) : null;
  }

  function recordAnswer(roundTrip, server) {
    const now = performance.now();
    state.answers.push(now);
    while (state.answers.length && now - state.answers[0] > 3000) state.answers.shift();
    const span = state.answers.length > 1 ? (now - state.answers[0]) / 1000 : 0;
    const fps = span > 0 ? (state.answers.length - 1) / span : 0;
    const parts = [];
    if (state.mode === "camera") parts.push(`${fps.toFixed(1)} fps`);
    parts.push(`${Math.round(roundTrip)} ms`);
    if (server !== null) parts.push(`server ${Math.round(server)} ms`);
    el.stats.textContent = parts.join(" · ");
  }

  /** Speaks the verdict only when it changes; several times a second would drown a reader. */
  function announceVerdict() {
    const verdict = $("#verdict");
    if (!verdict || verdict.dataset.verdict === state.lastVerdict) return;
    state.lastVerdict = verdict.dataset.verdict;
    const word = verdict.querySelector(".verdict-word").textContent;
    const score = verdict.querySelector(".verdict-score").textContent;
    el.verdictStatus.textContent = `${word}. ${score}`;
  }

  /** A busy message is a status (it counts down); anything else is an alert. */
  function showNotice(text, kind = "error") {
    let line = el.notice.firstElementChild;
    if (!line || line.dataset.kind !== kind) {
      line = document.createElement("p");
      line.dataset.kind = kind;
      line.setAttribute("role", kind === "busy" ? "status" : "alert");
      el.notice.replaceChildren(line);
    }
    line.textContent = text;
    el.notice.hidden = false;
  }

  function hideNotice() {
    el.notice.hidden = true;
    el.notice.textContent = "";
  }

  // ---- the overlay sits exactly on the picture as it is shown -----------------------------

  function currentSource() {
    if (state.mode === "photo") {
      return { node: el.photo, w: el.photo.naturalWidth, h: el.photo.naturalHeight };
    }
    return { node: el.video, w: el.video.videoWidth, h: el.video.videoHeight };
  }

  /** The rectangle the picture's pixels occupy inside its element, for any object-fit. */
  function contentRect(node, w, h) {
    const box = node.getBoundingClientRect();
    const fit = getComputedStyle(node).objectFit;
    let sx = box.width / w;
    let sy = box.height / h;
    if (fit === "contain" || fit === "scale-down") sx = sy = Math.min(sx, sy);
    else if (fit === "cover") sx = sy = Math.max(sx, sy);
    else if (fit === "none") sx = sy = 1;
    if (fit === "scale-down") sx = sy = Math.min(sx, 1);
    const width = w * sx;
    const height = h * sy;
    // object-position is the default, centred.
    return {
      left: box.left + (box.width - width) / 2,
      top: box.top + (box.height - height) / 2,
      width,
      height,
    };
  }

  function placeOverlay() {
    const { node, w, h } = currentSource();
    if (!w || !h) return;
    const rect = contentRect(node, w, h);
    const stage = el.stage.getBoundingClientRect();
    const style = el.overlay.style;
    style.left = `${rect.left - stage.left}px`;
    style.top = `${rect.top - stage.top}px`;
    style.width = `${rect.width}px`;
    style.height = `${rect.height}px`;
    // Snapshot pixels per CSS pixel: lets the stylesheet keep labels one size on any screen.
    const snapshotWidth = w * Math.min(1, snapshotSize / Math.max(w, h));
    style.setProperty("--u", String(snapshotWidth / rect.width));
  }

  new ResizeObserver(placeOverlay).observe(el.stage);
  el.video.addEventListener("resize", placeOverlay);
  el.video.addEventListener("loadedmetadata", placeOverlay);
  el.photo.addEventListener("load", placeOverlay);
  addEventListener("orientationchange", placeOverlay);
  addEventListener("resize", placeOverlay);

  // ---- frames -----------------------------------------------------------------------------

  /** Marks a new frame as due each time the video presents one, then tries to send. */
  function watchFrames() {
    if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
      const onFrame = () => {
        state.frameDue = true;
        pump();
        el.video.requestVideoFrameCallback(onFrame);
      };
      el.video.requestVideoFrameCallback(onFrame);
    } else {
      setInterval(() => {
        state.frameDue = true;
        pump();
      }, 1000 / 30);
    }
  }

  // ---- the camera -------------------------------------------------------------------------

  async function startCamera(deviceId) {
    if (!navigator.mediaDevices?.getUserMedia) {
      return noCamera(
        "Camera needs a secure page",
        "Open this page over HTTPS (or on localhost) to use the camera.",
      );
    }
    const devices = await videoInputs();
    if (devices.length === 0) {
      return noCamera("No camera", "This device has no camera we can use.");
    }
    // A picked camera first; if it will not start, the usual chain finds another.
    const attempts = deviceId
      ? [{
        video: { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } },
      }, ...CAMERA_ATTEMPTS]
      : CAMERA_ATTEMPTS;
    let lastError = null;
    for (const constraints of attempts) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia(constraints);
        return useStream(stream);
      } catch (err) {
        lastError = err;
        if (!RETRYABLE.has(err.name)) break;
      }
    }
    const [title, message] = explain(lastError);
    noCamera(title, message);
  }

  async function videoInputs() {
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      return all.filter((d) => d.kind === "videoinput");
    } catch {
      return [];
    }
  }

  function explain(err) {
    switch (err?.name) {
      case "NotAllowedError":
      case "SecurityError":
        return [
          "Camera blocked",
          "Camera permission was denied. Allow it in the browser, or upload a photo.",
        ];
      case "NotReadableError":
        return ["Camera busy", "Another app is using the camera. Close it, or upload a photo."];
      case "NotFoundError":
      case "OverconstrainedError":
        return ["No camera", "No camera could be started on this device."];
      default:
        return ["No camera", `The camera did not start${err?.message ? `: ${err.message}` : ""}.`];
    }
  }

  async function useStream(stream) {
    stopCamera();
    state.stream = stream;
    el.video.srcObject = stream;
    el.pause.hidden = false;
    state.generation++;
    setMode("camera");
    try {
      await el.video.play();
    } catch {
      // Autoplay of a muted inline video is allowed everywhere that matters; if not, the
      // first frame callback still arrives once the user taps play.
    }
    await listCameras(stream);
  }

  function stopCamera() {
    if (state.stream) { for (const track of state.stream.getTracks()) track.stop(); }
    state.stream = null;
  }

  /** A picker when there is more than one camera; labels are readable once permission is given. */
  async function listCameras(stream) {
    const devices = await videoInputs();
    const current = stream.getVideoTracks()[0]?.getSettings().deviceId;
    el.camera.replaceChildren(
      ...devices.map((d, i) =>
        new Option(d.label || `Camera ${i + 1}`, d.deviceId, false, d.deviceId === current)
      ),
    );
    el.cameraPick.hidden = devices.length < 2;
  }

  function noCamera(title, message) {
    el.fallbackTitle.textContent = title;
    el.fallbackMessage.textContent = message;
    el.fallback.hidden = false;
    el.app.dataset.camera = "none";
    el.pause.hidden = true;
  }

  function setMode(mode) {
    state.mode = mode;
    el.app.dataset.mode = mode;
    el.video.hidden = mode === "photo";
    el.photo.hidden = mode !== "photo";
    el.live.hidden = !(mode === "photo" && state.stream);
    el.pause.disabled = mode !== "camera";
    if (mode !== "none") el.fallback.hidden = true;
    el.overlay.replaceChildren();
    placeOverlay();
  }

  // ---- controls ---------------------------------------------------------------------------

  el.pause.addEventListener("click", () => {
    state.paused = !state.paused;
    el.pause.setAttribute("aria-pressed", String(state.paused));
    el.pause.textContent = state.paused ? "Resume" : "Pause";
    el.app.dataset.paused = String(state.paused);
    // Freezing the picture keeps the last boxes on the frame they describe.
    if (state.paused) el.video.pause();
    else el.video.play().catch(() => {});
  });

  el.live.addEventListener("click", () => {
    state.generation++;
    setMode("camera");
    if (!state.paused) el.video.play().catch(() => {});
  });

  el.camera.addEventListener("change", () => {
    // Phones cannot open two cameras at once: let go of this one first.
    stopCamera();
    startCamera(el.camera.value);
  });

  el.upload.addEventListener("change", async () => {
    const file = el.upload.files[0];
    el.upload.value = "";
    if (!file) return;
    if (el.photo.src) URL.revokeObjectURL(el.photo.src);
    el.photo.src = URL.createObjectURL(file);
    state.generation++;
    setMode("photo");
    try {
      await el.photo.decode();
      // Re-encoded at the model's size: any format the browser reads becomes a small JPEG.
      state.lastPhoto = await snapshot(el.photo, el.photo.naturalWidth, el.photo.naturalHeight);
    } catch {
      // The browser cannot read it; let the server say what is wrong with it.
      state.lastPhoto = file;
    }
    state.photoBlob = state.lastPhoto;
    pump();
  });

  // A hidden tab cannot show boxes; stop sending and pick up again when it is back.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      state.frameDue = true;
      pump();
    }
  });

  watchFrames();
  startCamera();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
