/** The HTML document shell: head (styles, scripts, htmx config) around a page's body. */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";

/** Versioned URLs of the page's static files (they carry `?v=<content hash>`). */
export interface AssetUrls {
  css: string;
  htmx: string;
  /** The entry ES module. */
  app: string;
  /** Every module the entry imports, directly or not: preloaded, so they load in one round. */
  modules: string[];
}

// 429/503 are back-pressure, not failures: the page backs off without swapping or logging an
// error. Other errors swap the server's fragment into the notice instead of the overlay.
// allowEval/includeIndicatorStyles off: htmx then needs neither eval nor inline styles (CSP).
const HTMX_CONFIG = JSON.stringify({
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "429|503", swap: false, error: false },
    { code: "[45]..", swap: true, error: false, target: "#notice" },
  ],
  timeout: 15000,
  allowEval: false,
  includeIndicatorStyles: false,
  historyEnabled: false,
});

// A hot dog emoji as the icon, inline, so browsers do not ask for /favicon.ico.
const ICON = "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">' +
      '<text y=".9em" font-size="90">\u{1F32D}</text></svg>',
  );

/** Lets the browser fetch every module at once instead of discovering them import by import. */
function modulePreloads(hrefs: string[]) {
  // hono/jsx prints a key as an attribute, and a list rendered once on the server needs none.
  // deno-lint-ignore jsx-key
  return hrefs.map((href) => <link rel="modulepreload" href={href} />);
}

export interface LayoutProps {
  title: string;
  assets: AssetUrls;
  children?: Child;
}

export function Layout({ title, assets, children }: LayoutProps) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <meta name="theme-color" content="#000000" />
          <meta name="color-scheme" content="dark" />
          <meta name="description" content="Point your camera at food. Is it a hotdog?" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{title}</title>
          <link rel="icon" href={ICON} />
          <link rel="stylesheet" href={assets.css} />
          <script src={assets.htmx} defer></script>
          {/* A module runs deferred, in document order: after htmx, which it uses. */}
          <script type="module" src={assets.app}></script>
          {modulePreloads(assets.modules)}
        </head>
        <body>{children}</body>
      </html>
    </>
  );
}
