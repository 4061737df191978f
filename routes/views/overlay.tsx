/** The SVG overlay: a pure component from detections to markup, one rect and label per box. */
import type { Box, Detection, DetectResult } from "../../inference/mod.ts";

// Ultralytics' palette, so boxes look like the reference tools' boxes.
const PALETTE = [
  "#FF3838",
  "#FF9D97",
  "#FF701F",
  "#FFB21D",
  "#CFD231",
  "#48F90A",
  "#92CC17",
  "#3DDB86",
  "#1A9334",
  "#00D4BB",
  "#2C99A8",
  "#00C2FF",
  "#344593",
  "#6473FF",
  "#0018EC",
  "#8438FF",
  "#520085",
  "#CB38FF",
  "#FF95C8",
  "#FF37C7",
];

export function classColor(classId: number): string {
  return PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Black or white, whichever reads better on the class colour (YIQ brightness). */
export function inkOn(hex: string): "#000" | "#fff" {
  const n = parseInt(hex.slice(1), 16);
  const yiq = ((n >> 16) * 299 + ((n >> 8) & 255) * 587 + (n & 255) * 114) / 1000;
  return yiq >= 150 ? "#000" : "#fff";
}

const round1 = (v: number) => Math.round(v * 10) / 10;

export interface OverlayProps {
  width: number;
  height: number;
  detections: readonly Detection[];
  /** Draw this image under the boxes (e.g. a data: URL), for standalone annotated SVGs. */
  imageHref?: string;
  /** A dashed "hot dog?" hint where the verdict thinks the hot dog is (see `hotdogHint`). */
  hint?: { box: Box; score: number } | null;
}

/**
 * Where to point when the verdict says hot dog but no `hot dog` box was drawn: the cell COCO's
 * hot-dog class likes best, shown as a hint (its score is usually under the box threshold).
 * Null when a hot-dog box is already there, the verdict is not hot dog, or there is no region.
 */
export function hotdogHint(
  result: Pick<DetectResult, "hotdog" | "detections" | "verdict">,
): { box: Box; score: number } | null {
  if (!result.hotdog || result.detections.some((d) => d.label === "hot dog")) return null;
  return result.verdict?.region ?? null;
}

/**
 * viewBox is the image's pixel size, so the boxes land on the image at any display size as
 * long as the SVG is laid over it with the same aspect ratio.
 */
export function Overlay({ width, height, detections, imageHref, hint }: OverlayProps) {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 200));
  const font = Math.max(12, Math.round(Math.max(width, height) / 40));
  return (
    <svg
      class="overlay"
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      preserveAspectRatio="xMidYMid meet"
      role="img"
      aria-label={`${detections.length} ${detections.length === 1 ? "object" : "objects"} detected`}
    >
      {imageHref ? <image href={imageHref} x="0" y="0" width={width} height={height} /> : null}
      {hint
        ? (
          <g class="hint" data-score={hint.score.toFixed(3)}>
            <rect
              x={round1(hint.box.x1)}
              y={round1(hint.box.y1)}
              width={round1(hint.box.x2 - hint.box.x1)}
              height={round1(hint.box.y2 - hint.box.y1)}
              fill="none"
              stroke="#fff"
              stroke-width={stroke}
              stroke-dasharray={`${stroke * 3} ${stroke * 2}`}
            />
            <text
              x={round1(hint.box.x1 + stroke)}
              y={round1(Math.max(font, hint.box.y1 - stroke))}
              fill="#fff"
              font-size={font}
              font-family="system-ui, sans-serif"
              font-weight="600"
              paint-order="stroke"
              stroke="#000"
              stroke-width={(font / 4).toFixed(1)}
            >
              {`hot dog? ${Math.round(hint.score * 100)}%`}
            </text>
          </g>
        )
        : null}
      {detections.map((d) => {
        const { x1, y1, x2, y2 } = d.box;
        const color = classColor(d.classId);
        const label = `${d.label} ${Math.round(d.score * 100)}%`;
        // Above the box when it fits, else just inside its top edge; boxes on the right half
        // hang their label from the right corner so it stays on the image. The baselines pin
        // the label's edge to the box, whatever size a stylesheet gives the text.
        const above = y1 >= font * 1.2;
        const right = x1 > width / 2;
        const pad = stroke / 2 + font / 6;
        return (
          <g class="det" data-label={d.label} data-score={d.score.toFixed(3)}>
            <rect
              x={round1(x1)}
              y={round1(y1)}
              width={round1(x2 - x1)}
              height={round1(y2 - y1)}
              fill="none"
              stroke={color}
              stroke-width={stroke}
            />
            <text
              x={round1(right ? x2 - pad : x1 + pad)}
              y={round1(above ? y1 - pad : y1 + pad)}
              text-anchor={right ? "end" : "start"}
              dominant-baseline={above ? "text-after-edge" : "text-before-edge"}
              fill={inkOn(color)}
              font-size={font}
              font-family="system-ui, sans-serif"
              font-weight="600"
              paint-order="stroke"
              stroke={color}
              stroke-width={(font / 3).toFixed(1)}
              stroke-linejoin="round"
            >
              {label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
