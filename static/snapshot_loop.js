// The snapshot loop: one request out at a time, latest frame wins, the server's pace and back-offs.
import {
  minInterval,
  nextSend,
  outcome,
  REFUSED_PAUSE_MS,
  retryAfterSeconds,
  serverTotal,
  UNREACHABLE_RETRY_S,
} from "./pacing.js";

/**
 * Sends the newest thing there is to send whenever it may. A snapshot is taken when it can be
 * sent, never queued, so an answer that arrives late is followed by the frame on screen now,
 * not by a backlog. The decisions are `pacing.js`'s; this class keeps the state and does the I/O.
 */
export class SnapshotLoop {
  #io;
  /** The source being sent: "camera", "photo" after an upload, "none" before either. */
  #mode = "none";
  #paused = false;
  #inFlight = false;
  /** A video frame newer than the last snapshot has been shown. */
  #frameDue = false;
  /** An uploaded photo waiting to be sent. */
  #photo = null;
  /** The last upload, kept to send again after a back-off. */
  #lastPhoto = null;
  /** Bumped whenever the source changes, so answers about an old source are dropped. */
  #generation = 0;
  #retryAt = 0;
  #retryTimer = 0;
  #lastSentAt = -Infinity;
  /** The server's advertised sustained rate, as a gap between snapshots (ms). */
  #minInterval = 0;

  /**
   * @param {{
   *   frames: { ready: () => boolean, grab: () => Promise<Blob> },
   *   post: (blob: Blob, isCurrent: () => boolean) => Promise<XMLHttpRequest | null>,
   *   status: import("./status.js").PageStatus,
   *   isHidden: () => boolean,
   *   now: () => number,
   * }} io whether the video shows a frame and a snapshot of it, the request, what the page
   *   says, whether the tab is hidden, and the clock (ms)
   */
  constructor(io) {
    this.#io = io;
  }

  /**
   * Switches to another source; answers still coming about the old one are not drawn.
   * @param {"none" | "camera" | "photo"} mode
   */
  follow(mode) {
    this.#mode = mode;
    this.#generation++;
  }

  /** @param {boolean} paused while paused, no camera frames are sent */
  setPaused(paused) {
    this.#paused = paused;
  }

  /**
   * Sends an uploaded photo as soon as it may (and keeps it, to send again after a back-off).
   * @param {Blob} blob
   */
  sendPhoto(blob) {
    this.#lastPhoto = blob;
    this.#photo = blob;
    this.#pump();
  }

  /** A new video frame is on screen (or the tab is visible again): send it if it may be. */
  frameShown() {
    this.#frameDue = true;
    this.#pump();
  }

  #pump() {
    const { frames, isHidden, now } = this.#io;
    const next = nextSend({
      mode: this.#mode,
      paused: this.#paused,
      inFlight: this.#inFlight,
      hidden: isHidden(),
      photoPending: this.#photo !== null,
      frameDue: this.#frameDue,
      hasFrame: frames.ready(),
      retryAt: this.#retryAt,
      lastSentAt: this.#lastSentAt,
      minInterval: this.#minInterval,
    }, now());
    if (next === "photo") {
      const blob = this.#photo;
      this.#photo = null;
      this.#send(() => Promise.resolve(blob));
    } else if (next === "frame") {
      this.#frameDue = false;
      this.#send(frames.grab);
    }
  }

  /** @param {() => Promise<Blob>} makeBlob */
  async #send(makeBlob) {
    const { post, status, now } = this.#io;
    this.#inFlight = true;
    const started = now();
    this.#lastSentAt = started;
    const generation = this.#generation;
    const isCurrent = () => generation === this.#generation;
    let xhr = null;
    try {
      xhr = await post(await makeBlob(), isCurrent);
    } catch (err) {
      status.showNotice(err.message);
    }
    this.#inFlight = false;
    if (isCurrent()) this.#settle(xhr, now() - started);
    this.#pump();
  }

  /**
   * Reads how the request went: stats on an answer, a back-off when the server is busy or away.
   * @param {XMLHttpRequest | null} xhr
   * @param {number} roundTrip
   */
  #settle(xhr, roundTrip) {
    const { status, now } = this.#io;
    const code = xhr ? xhr.status : -1;
    if (code > 0) this.#minInterval = minInterval(xhr.getResponseHeader("RateLimit-Policy"));
    switch (outcome(code)) {
      case "answer": {
        const server = serverTotal(xhr.getResponseHeader("Server-Timing"));
        status.answered({ roundTrip, server, live: this.#mode === "camera" });
        break;
      }
      case "busy":
        this.#backOff(retryAfterSeconds(xhr.getResponseHeader("Retry-After"), Date.now()), {
          why: "Server busy",
        });
        break;
      case "unreachable":
        this.#backOff(UNREACHABLE_RETRY_S, { why: "Cannot reach the server" });
        break;
      case "refused":
        // htmx put the server's error fragment in the notice.
        status.showRefusal();
        // Do not hammer the server with frames it cannot answer.
        if (this.#mode === "camera") {
          this.#retryAt = now() + REFUSED_PAUSE_MS;
          this.#scheduleRetry();
        }
        break;
    }
  }

  /**
   * @param {number} seconds
   * @param {{ why: string }} options what the countdown says
   */
  #backOff(seconds, { why }) {
    this.#retryAt = this.#io.now() + seconds * 1000;
    this.#io.status.countdown(why, this.#retryAt);
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    clearTimeout(this.#retryTimer);
    const wait = Math.max(0, this.#retryAt - this.#io.now());
    this.#retryTimer = setTimeout(() => {
      // The answer the wait was for may have been a photo's: ask again for it.
      if (this.#mode === "photo" && this.#photo === null && this.#lastPhoto) {
        this.#photo = this.#lastPhoto;
      }
      this.#frameDue = true;
      this.#pump();
    }, wait + 10);
  }
}

/**
 * Calls `onFrame` each time the video presents a frame (about 30 times a second where the
 * browser cannot say).
 * @param {HTMLVideoElement} video
 * @param {() => void} onFrame
 */
export function watchFrames(video, onFrame) {
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    const next = () => {
      onFrame();
      video.requestVideoFrameCallback(next);
    };
    video.requestVideoFrameCallback(next);
  } else {
    setInterval(onFrame, 1000 / 30);
  }
}
