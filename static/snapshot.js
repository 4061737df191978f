// One snapshot: a picture drawn as a JPEG at the model's size, posted to /detect through htmx.
import { snapshotScale } from "./geometry.js";

/**
 * Draws the source so its longest side is the server's input size, as a JPEG blob: more pixels
 * would only be thrown away by the server's letterbox.
 * @param {HTMLCanvasElement} canvas reused for every snapshot
 * @param {{ source: CanvasImageSource, width: number, height: number, longest: number }} picture
 * @returns {Promise<Blob>}
 */
export function encodeSnapshot(canvas, picture) {
  const { source, width, height, longest } = picture;
  const scale = snapshotScale({ width, height }, longest);
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

/**
 * Posts a snapshot through the page's hidden multipart form; htmx swaps the answer's overlay
 * into `target` (and the verdict out of band) unless `isCurrent()` says the page has moved on
 * to another source since. Resolves with the request, or null if htmx never made one.
 * @param {Blob} blob
 * @param {{ form: HTMLFormElement, target: Element, isCurrent: () => boolean }} options
 * @returns {Promise<XMLHttpRequest | null>}
 */
export async function postSnapshot(blob, options) {
  const { form, target, isCurrent } = options;
  let xhr = null;
  const values = new FormData();
  values.append("image", blob, "snapshot.jpg");
  // Answers for an old source (the camera before an upload, say) must not be drawn.
  const onBeforeSwap = (event) => {
    xhr = event.detail.xhr;
    if (!isCurrent()) event.detail.shouldSwap = false;
  };
  const onAfterRequest = (event) => (xhr = event.detail.xhr);
  form.addEventListener("htmx:beforeSwap", onBeforeSwap);
  form.addEventListener("htmx:afterRequest", onAfterRequest);
  try {
    // The hidden form makes htmx send multipart; the blob rides along as `values`.
    await htmx.ajax("POST", "/detect", { source: form, target, swap: "innerHTML", values });
  } catch {
    // Network error or timeout: xhr.status is 0, for the caller to read.
  } finally {
    form.removeEventListener("htmx:beforeSwap", onBeforeSwap);
    form.removeEventListener("htmx:afterRequest", onAfterRequest);
  }
  return xhr;
}
