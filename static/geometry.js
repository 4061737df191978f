// Overlay geometry, pure: where a picture's pixels land in its element, and the overlay on them.

/**
 * How much a w×h picture is scaled so its longest side is at most `longest` (never enlarged):
 * the snapshot the server sees, and so the pixel space of the boxes it sends back.
 * @param {{ width: number, height: number }} picture
 * @param {number} longest
 * @returns {number}
 */
export function snapshotScale(picture, longest) {
  return Math.min(1, longest / Math.max(picture.width, picture.height));
}

/**
 * The rectangle the picture's pixels occupy inside its element box, for any object-fit, with
 * the default (centred) object-position.
 * @param {{ left: number, top: number, width: number, height: number }} box the element's rect
 * @param {{ width: number, height: number, fit: string }} picture natural size and object-fit
 * @returns {{ left: number, top: number, width: number, height: number }}
 */
export function contentRect(box, picture) {
  const { fit } = picture;
  let sx = box.width / picture.width;
  let sy = box.height / picture.height;
  if (fit === "contain" || fit === "scale-down") sx = sy = Math.min(sx, sy);
  else if (fit === "cover") sx = sy = Math.max(sx, sy);
  else if (fit === "none") sx = sy = 1;
  if (fit === "scale-down") sx = sy = Math.min(sx, 1);
  const width = picture.width * sx;
  const height = picture.height * sy;
  return {
    left: box.left + (box.width - width) / 2,
    top: box.top + (box.height - height) / 2,
    width,
    height,
  };
}

/**
 * Where the overlay goes, relative to the stage, so that the SVG's viewBox (snapshot pixels)
 * lies exactly on the picture as shown. `unit` is snapshot pixels per CSS pixel: the
 * stylesheet's `--u`, which keeps labels one size on any screen.
 * @param {{ left: number, top: number, width: number, height: number }} box the element's rect
 * @param {{
 *   stage: { left: number, top: number },
 *   width: number,
 *   height: number,
 *   fit: string,
 *   snapshotSize: number,
 * }} options the stage's rect, the picture's natural size and object-fit, the snapshot size
 * @returns {{ left: number, top: number, width: number, height: number, unit: number }}
 */
export function overlayPlacement(box, options) {
  const { stage, width, height, fit, snapshotSize } = options;
  const rect = contentRect(box, { width, height, fit });
  const snapshotWidth = width * snapshotScale({ width, height }, snapshotSize);
  return {
    left: rect.left - stage.left,
    top: rect.top - stage.top,
    width: rect.width,
    height: rect.height,
    unit: snapshotWidth / rect.width,
  };
}
