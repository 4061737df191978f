// The overlay's place: keeps the boxes' SVG exactly on the picture as it is shown.
import { overlayPlacement } from "./geometry.js";

/**
 * Moves and sizes the overlay onto the picture's displayed pixels, and sets `--u` (snapshot
 * pixels per CSS pixel) so the stylesheet keeps labels one size on any screen.
 * @param {{ stage: HTMLElement, overlay: HTMLElement }} el
 * @param {{ node: HTMLElement, width: number, height: number, snapshotSize: number }} picture
 *   the element showing the picture, its natural size, and the snapshot's longest side
 */
export function placeOverlay(el, picture) {
  const { node, width, height, snapshotSize } = picture;
  if (!width || !height) return;
  const place = overlayPlacement(node.getBoundingClientRect(), {
    stage: el.stage.getBoundingClientRect(),
    width,
    height,
    fit: getComputedStyle(node).objectFit,
    snapshotSize,
  });
  const style = el.overlay.style;
  style.left = `${place.left}px`;
  style.top = `${place.top}px`;
  style.width = `${place.width}px`;
  style.height = `${place.height}px`;
  style.setProperty("--u", String(place.unit));
}

/**
 * Calls `place` whenever the picture's displayed box may have moved or changed size.
 * @param {{ stage: HTMLElement, video: HTMLVideoElement, photo: HTMLImageElement }} el
 * @param {() => void} place
 */
export function followLayout(el, place) {
  new ResizeObserver(() => place()).observe(el.stage);
  el.video.addEventListener("resize", place);
  el.video.addEventListener("loadedmetadata", place);
  el.photo.addEventListener("load", place);
  addEventListener("orientationchange", place);
  addEventListener("resize", place);
}
