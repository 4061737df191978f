// Page state and controls: which picture is shown (camera, photo, none), pause, picker, upload.
import { openCamera, stopStream, videoInputs } from "./camera.js";
import { placeOverlay } from "./overlay.js";
import { encodeSnapshot } from "./snapshot.js";

export class CameraPage {
  #el;
  #loop;
  #canvas;
  #snapshotSize;
  #mediaDevices;
  /** "camera" while the live video is the source, "photo" after an upload, "none" before. */
  #mode = "none";
  #stream = null;
  #paused = false;

  /**
   * @param {Record<string, HTMLElement>} el the page's elements, by the names app.js gives them
   * @param {{
   *   loop: import("./snapshot_loop.js").SnapshotLoop,
   *   canvas: HTMLCanvasElement,
   *   snapshotSize: number,
   *   mediaDevices: MediaDevices | undefined,
   * }} options the loop to tell about sources, the canvas snapshots are drawn on, their
   *   longest side, and `navigator.mediaDevices`
   */
  constructor(el, options) {
    this.#el = el;
    this.#loop = options.loop;
    this.#canvas = options.canvas;
    this.#snapshotSize = options.snapshotSize;
    this.#mediaDevices = options.mediaDevices;
  }

  /** Puts the overlay on the picture now shown. */
  placeOverlay() {
    const { video, photo } = this.#el;
    const picture = this.#mode === "photo"
      ? { node: photo, width: photo.naturalWidth, height: photo.naturalHeight }
      : { node: video, width: video.videoWidth, height: video.videoHeight };
    placeOverlay(this.#el, { ...picture, snapshotSize: this.#snapshotSize });
  }

  /**
   * Starts a camera (the picked one first, if any), or says why there is none.
   * @param {string} [deviceId]
   */
  async startCamera(deviceId) {
    const camera = await openCamera(this.#mediaDevices, deviceId);
    if ("stream" in camera) return await this.#useStream(camera.stream);
    this.#noCamera(camera);
  }

  /** @param {string} deviceId the camera picked in the list */
  pickCamera(deviceId) {
    // Phones cannot open two cameras at once: let go of this one first.
    this.#stopCamera();
    this.startCamera(deviceId);
  }

  togglePause() {
    const { app, pause, video } = this.#el;
    this.#paused = !this.#paused;
    this.#loop.setPaused(this.#paused);
    pause.setAttribute("aria-pressed", String(this.#paused));
    pause.textContent = this.#paused ? "Resume" : "Pause";
    app.dataset.paused = String(this.#paused);
    // Freezing the picture keeps the last boxes on the frame they describe.
    if (this.#paused) video.pause();
    else video.play().catch(() => {});
  }

  backToCamera() {
    this.#setMode("camera");
    if (!this.#paused) this.#el.video.play().catch(() => {});
  }

  /** Shows the file picked in the upload input and sends it in place of the camera. */
  async upload() {
    const { upload, photo } = this.#el;
    const file = upload.files[0];
    upload.value = "";
    if (!file) return;
    if (photo.src) URL.revokeObjectURL(photo.src);
    photo.src = URL.createObjectURL(file);
    this.#setMode("photo");
    let blob;
    try {
      await photo.decode();
      // Re-encoded at the model's size: any format the browser reads becomes a small JPEG.
      blob = await encodeSnapshot(this.#canvas, {
        source: photo,
        width: photo.naturalWidth,
        height: photo.naturalHeight,
        longest: this.#snapshotSize,
      });
    } catch {
      // The browser cannot read it; let the server say what is wrong with it.
      blob = file;
    }
    this.#loop.sendPhoto(blob);
  }

  /** @param {MediaStream} stream */
  async #useStream(stream) {
    this.#stopCamera();
    this.#stream = stream;
    this.#el.video.srcObject = stream;
    this.#el.pause.hidden = false;
    this.#setMode("camera");
    try {
      await this.#el.video.play();
    } catch {
      // Autoplay of a muted inline video is allowed everywhere that matters; if not, the
      // first frame callback still arrives once the user taps play.
    }
    await this.#listCameras(stream);
  }

  #stopCamera() {
    stopStream(this.#stream);
    this.#stream = null;
  }

  /**
   * A picker when there is more than one camera; labels are readable once permission is given.
   * @param {MediaStream} stream
   */
  async #listCameras(stream) {
    const devices = await videoInputs(this.#mediaDevices);
    const current = stream.getVideoTracks()[0]?.getSettings().deviceId;
    this.#el.camera.replaceChildren(
      ...devices.map((d, i) =>
        new Option(d.label || `Camera ${i + 1}`, d.deviceId, false, d.deviceId === current)
      ),
    );
    this.#el.cameraPick.hidden = devices.length < 2;
  }

  /** @param {{ title: string, message: string }} why */
  #noCamera({ title, message }) {
    const el = this.#el;
    el.fallbackTitle.textContent = title;
    el.fallbackMessage.textContent = message;
    el.fallback.hidden = false;
    el.app.dataset.camera = "none";
    el.pause.hidden = true;
  }

  /**
   * Shows another source; the loop drops answers still coming about the old one.
   * @param {"camera" | "photo"} mode
   */
  #setMode(mode) {
    const el = this.#el;
    this.#mode = mode;
    this.#loop.follow(mode);
    el.app.dataset.mode = mode;
    el.video.hidden = mode === "photo";
    el.photo.hidden = mode !== "photo";
    el.live.hidden = !(mode === "photo" && this.#stream);
    el.pause.disabled = mode !== "camera";
    el.fallback.hidden = true;
    el.overlay.replaceChildren();
    this.placeOverlay();
  }
}
