// The camera: a ladder of constraints from tight to anything with a lens, and why none started.

/** Tight first, then looser, so some camera starts wherever one exists. */
const CAMERA_LADDER = [
  // The rear camera at a size and rate that look good and downsample cleanly.
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

// These mean "this camera or these constraints will not do"; try the next rung.
const RETRYABLE = new Set([
  "OverconstrainedError",
  "NotFoundError",
  "NotReadableError",
  "AbortError",
  "TypeError",
]);

/**
 * The getUserMedia constraints to try in order: a picked camera first (if it will not start,
 * the usual ladder finds another), then the ladder.
 * @param {string} [deviceId]
 * @returns {MediaStreamConstraints[]}
 */
export function constraintLadder(deviceId) {
  if (!deviceId) return CAMERA_LADDER;
  const picked = {
    video: { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } },
  };
  return [picked, ...CAMERA_LADDER];
}

/**
 * A title and a sentence for the reason no camera started, from getUserMedia's error.
 * @param {{ name?: string, message?: string } | null} err
 * @returns {{ title: string, message: string }}
 */
export function explainCameraError(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return {
        title: "Camera blocked",
        message: "Camera permission was denied. Allow it in the browser, or upload a photo.",
      };
    case "NotReadableError":
      return {
        title: "Camera busy",
        message: "Another app is using the camera. Close it, or upload a photo.",
      };
    case "NotFoundError":
    case "OverconstrainedError":
      return { title: "No camera", message: "No camera could be started on this device." };
    default:
      return {
        title: "No camera",
        message: `The camera did not start${err?.message ? `: ${err.message}` : ""}.`,
      };
  }
}

/**
 * Starts a camera: a stream, or the reason there is none to show the user.
 * @param {MediaDevices | undefined} mediaDevices `navigator.mediaDevices` (absent on insecure pages)
 * @param {string} [deviceId] the camera the user picked
 * @returns {Promise<{ stream: MediaStream } | { title: string, message: string }>}
 */
export async function openCamera(mediaDevices, deviceId) {
  if (!mediaDevices?.getUserMedia) {
    return {
      title: "Camera needs a secure page",
      message: "Open this page over HTTPS (or on localhost) to use the camera.",
    };
  }
  if ((await videoInputs(mediaDevices)).length === 0) {
    return { title: "No camera", message: "This device has no camera we can use." };
  }
  let lastError = null;
  for (const constraints of constraintLadder(deviceId)) {
    try {
      return { stream: await mediaDevices.getUserMedia(constraints) };
    } catch (err) {
      lastError = err;
      if (!RETRYABLE.has(err.name)) break;
    }
  }
  return explainCameraError(lastError);
}

/**
 * The cameras the browser lists (labels only once permission is given); none if it cannot say.
 * @param {MediaDevices} mediaDevices
 * @returns {Promise<MediaDeviceInfo[]>}
 */
export async function videoInputs(mediaDevices) {
  try {
    const all = await mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === "videoinput");
  } catch {
    return [];
  }
}

/**
 * Lets go of a camera, so another (or another app) can open it.
 * @param {MediaStream | null} stream
 */
export function stopStream(stream) {
  if (stream) { for (const track of stream.getTracks()) track.stop(); }
}
