/** The verdict banner: Hotdog or Not Hotdog with the hot-dog score, or pending before any answer. */
import type { DetectResult } from "../../inference/mod.ts";

export type VerdictState = "pending" | "hotdog" | "not-hotdog";

export interface VerdictProps {
  /** The answer to show; none yet means "pending". */
  result?: Pick<DetectResult, "hotdog" | "hotdogScore" | "verdict"> & {
    detections?: DetectResult["detections"];
  };
  /** Marks the element for htmx's out-of-band swap, so it rides along with the overlay. */
  oob?: boolean;
}

export function verdictState(result?: VerdictProps["result"]): VerdictState {
  if (!result) return "pending";
  return result.hotdog ? "hotdog" : "not-hotdog";
}

/**
 * Not itself a live region: it is replaced on every answer, and a screen reader would either
 * miss a replaced region or repeat it several times a second. The page copies the text into a
 * persistent `role="status"` region when the verdict changes (see `VerdictStatus`).
 */
export function Verdict({ result, oob }: VerdictProps) {
  const state = verdictState(result);
  const percent = result ? `${Math.round(result.hotdogScore * 100)}%` : "";
  const extra = {
    ...(result ? { "data-score": result.hotdogScore.toFixed(3) } : {}),
    ...(oob ? { "hx-swap-oob": "true" } : {}),
  };
  return (
    <div id="verdict" class="verdict" data-verdict={state} {...extra}>
      <p class="verdict-word">
        {state === "pending" ? "Hotdog?" : state === "hotdog" ? "Hotdog" : "Not Hotdog"}
      </p>
      <p class="verdict-score">
        {result ? <>hot dog score {percent}</> : "Point the camera at food"}
      </p>
      {result?.verdict ? <p class="verdict-source">{verdictSource(result)}</p> : null}
      {lookalike(result) ? <p class="verdict-lookalike">{lookalike(result)}</p> : null}
      {state === "pending" ? null : <VerdictBadge hotdog={state === "hotdog"} />}
    </div>
  );
}

/** Says honestly what decided, and where the hot dog is when no box shows it. */
export function verdictSource(result: NonNullable<VerdictProps["result"]>): string {
  const v = result.verdict;
  if (!v) return "";
  const boxed = result.detections?.some((d) => d.label === "hot dog") ?? false;
  const judge = v.source === "head"
    ? "learned verdict"
    : v.source === "second-opinion"
    ? "learned verdict + ImageNet second opinion"
    : "COCO hot dog class";
  if (!result.hotdog || boxed) return judge;
  return v.region ? `${judge} · dashed box: most likely spot` : `${judge} · from the whole photo`;
}

/**
 * In the spirit of SeeFood: when the verdict is Not Hotdog and the classifier ran, which of
 * ImageNet's foods the photo looks like; empty otherwise.
 */
export function lookalike(result: VerdictProps["result"]): string {
  const so = result?.verdict?.secondOpinion;
  if (!result || result.hotdog || !so) return "";
  return `looks like: ${so.looksLike.label} (${Math.round(so.looksLike.score * 100)}%)`;
}

// The show's round badge: a check for Hotdog, a cross for Not Hotdog. Drawn, not a font glyph,
// so it looks the same on every phone.
function VerdictBadge({ hotdog }: { hotdog: boolean }) {
  return (
    <span class="verdict-badge" aria-hidden="true">
      <svg viewBox="0 0 24 24" width="24" height="24">
        <path d={hotdog ? "M5 12.5l4.5 4.5L19 7.5" : "M6.5 6.5l11 11M17.5 6.5l-11 11"} />
      </svg>
    </span>
  );
}

/** The persistent screen-reader announcement of the verdict; the page fills it on changes. */
export function VerdictStatus() {
  return (
    <p id="verdict-status" class="sr-only" role="status" aria-live="polite" aria-atomic="true"></p>
  );
}
