/** The camera page: live video, the overlay over it, the verdict banner, controls, upload. */
import type { ModelInfo } from "../../inference/mod.ts";
import { type AssetUrls, Layout } from "./layout.tsx";
import { Verdict, VerdictStatus } from "./verdict.tsx";

export interface CameraPageProps {
  info: Pick<ModelInfo, "inputWidth" | "inputHeight">;
  assets: AssetUrls;
}

export function CameraPage({ info, assets }: CameraPageProps) {
  // The browser downsamples snapshots so their longest side is the model's: more pixels would
  // only be thrown away by the server's letterbox, fewer would cost accuracy.
  const snapshotSize = Math.max(info.inputWidth, info.inputHeight);
  return (
    <Layout title="Not Hotdog" assets={assets}>
      <main
        id="app"
        class="app"
        data-input-width={info.inputWidth}
        data-input-height={info.inputHeight}
        data-snapshot-size={snapshotSize}
      >
        <h1 class="sr-only">Not Hotdog</h1>
        <div id="stage" class="stage">
          <video id="video" class="source" autoplay muted playsinline aria-label="Camera view">
          </video>
          <img id="photo" class="source" alt="Your uploaded photo" hidden />
          <div id="overlay" class="overlay-box" aria-live="off"></div>
        </div>

        <Verdict />
        <VerdictStatus />

        <div id="notice" class="notice" hidden></div>

        <section id="fallback" class="fallback" hidden aria-labelledby="fallback-title">
          <h2 id="fallback-title" class="fallback-title">No camera</h2>
          <p id="fallback-message" class="fallback-message">
            Starting the camera…
          </p>
          <label class="button button-big" for="upload">Upload a photo</label>
        </section>

        <form id="snap" hx-encoding="multipart/form-data" hidden></form>

        <footer class="controls">
          <button id="pause" class="button" type="button" aria-pressed="false" disabled>
            Pause
          </button>
          <button id="live" class="button" type="button" hidden>Back to camera</button>
          <label class="camera-pick" id="camera-pick" hidden>
            <span class="sr-only">Camera</span>
            <select id="camera"></select>
          </label>
          <input
            id="upload"
            class="sr-only"
            type="file"
            accept="image/jpeg"
            capture="environment"
            aria-label="Upload a photo"
          />
          <label class="button" for="upload">Upload a photo</label>
          <output id="stats" class="stats" aria-live="off"></output>
        </footer>

        <noscript>
          <p class="notice">Not Hotdog needs JavaScript to use the camera.</p>
        </noscript>
      </main>
    </Layout>
  );
}
