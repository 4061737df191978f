/** The asset step: fetches the model weights and test photos in models/assets.tsv, by SHA-256. */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const GROUPS = ["model", "image", "hotdog"] as const;
export type Group = typeof GROUPS[number];

/** One row of the manifest. */
export interface Asset {
  group: Group;
  /** Where the file lands, relative to the repo root. */
  path: string;
  /** Where the file sits, relative to a mirror root. */
  mirror: string;
  /** Lowercase hex. */
  sha256: string;
  bytes: number;
  license: string;
  /** Pinned upstream raw-file URL. */
  url: string;
}

const COLUMNS = ["group", "path", "mirror", "sha256", "bytes", "license", "url"];

/** Parses the tab-separated manifest; throws one line naming the bad line and column. */
export function readManifest(text: string, options: { source?: string } = {}): Asset[] {
  const source = options.source ?? "manifest";
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  if (lines[0] !== COLUMNS.join("\t")) {
    throw new Error(
      `Cannot read ${source}: header is ${JSON.stringify(lines[0])}, want ${
        JSON.stringify(COLUMNS.join("\t"))
      }`,
    );
  }
  const assets: Asset[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const fail = (why: string) => new Error(`Cannot read ${source} line ${i + 1}: ${why}`);
    const cells = lines[i].split("\t");
    if (cells.length !== COLUMNS.length) {
      throw fail(`expected ${COLUMNS.length} tab-separated columns, got ${cells.length}`);
    }
    const [group, path, mirror, sha256, bytes, license, url] = cells;
    if (!(GROUPS as readonly string[]).includes(group)) {
      throw fail(`unknown group ${JSON.stringify(group)} (expected ${GROUPS.join(", ")})`);
    }
    // Assets must land where .gitignore keeps them out of commits.
    if (!isSafeRelative(path) || !/^(models\/[^/]+\.onnx|tests\/data\/.+)$/.test(path)) {
      throw fail(`path ${JSON.stringify(path)} is not models/*.onnx or under tests/data/`);
    }
    if (!isSafeRelative(mirror)) throw fail(`mirror path ${JSON.stringify(mirror)} is unsafe`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw fail(`sha256 ${JSON.stringify(sha256)} is not hex`);
    if (!/^\d+$/.test(bytes)) throw fail(`bytes ${JSON.stringify(bytes)} is not a count`);
    if (!/^https?:\/\/\S+$/.test(url)) throw fail(`url ${JSON.stringify(url)} is not http(s)`);
    if (seen.has(path)) throw fail(`path ${path} is listed twice`);
    seen.add(path);
    assets.push({
      group: group as Group,
      path,
      mirror,
      sha256,
      bytes: Number(bytes),
      license,
      url,
    });
  }
  return assets;
}

function isSafeRelative(path: string): boolean {
  return path !== "" && !isAbsolute(path) && !path.includes("\\") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** Where the step reports; tests record it, the CLI writes to the console. */
export interface Output {
  /** A finished line for stdout. */
  line(text: string): void;
  /** A one-line error for stderr. */
  error(text: string): void;
  /** Transient progress that the next line overwrites (empty clears it). */
  status(text: string): void;
}

/** Console output; progress lines only redraw on a terminal, so logs keep one line per file. */
export function consoleOutput(options: { tty?: boolean } = {}): Output {
  const tty = options.tty ?? Deno.stdout.isTerminal();
  const encoder = new TextEncoder();
  let shown = false;
  const clear = () => {
    if (shown) Deno.stdout.writeSync(encoder.encode("\r\x1b[K"));
    shown = false;
  };
  return {
    line(text) {
      clear();
      console.log(text);
    },
    error(text) {
      clear();
      console.error(text);
    },
    status(text) {
      if (!tty) return;
      clear();
      if (text === "") return;
      let columns = 0;
      try {
        columns = Deno.consoleSize().columns;
      } catch {
        // Not a real terminal after all; fall through to the guess below.
      }
      // Pseudo-terminals can report 0 columns.
      if (columns < 20) columns = 80;
      Deno.stdout.writeSync(encoder.encode(text.slice(0, columns - 1)));
      shown = true;
    },
  };
}

/** Only what the step calls, so tests can pass a plain function. */
export type FetchFn = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export interface FetchAssetsOptions {
  /** Directory that manifest paths are relative to; default: the repo root. */
  root?: string;
  /** Copy from this directory (mirror paths inside it) instead of downloading. */
  mirror?: string;
  /** Only these groups; default all. */
  only?: readonly Group[];
  /** Verify present files only; fetch nothing. */
  check?: boolean;
  /** Files in flight at once; default 8. */
  concurrency?: number;
  fetch?: FetchFn;
  /** Abort a download when no bytes arrive for this long; default 30 s. */
  stallMs?: number;
  output?: Output;
}

export interface Report {
  /** Rows selected by `only`. */
  total: number;
  /** Already in place with the right size and SHA-256. */
  present: number;
  fetched: number;
  failed: number;
  /** The one-line messages also sent to `output.error`. */
  errors: string[];
}

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const PROGRESS_MIN_BYTES = 1_000_000;

/** Brings every selected asset into place (or, with `check`, only verifies); never throws. */
export async function fetchAssets(
  manifest: readonly Asset[],
  options: FetchAssetsOptions = {},
): Promise<Report> {
  const root = options.root ?? REPO_ROOT;
  const output = options.output ?? consoleOutput();
  const only = options.only ?? GROUPS;
  const selected = manifest.filter((asset) => only.includes(asset.group));
  const report: Report = { total: selected.length, present: 0, fetched: 0, failed: 0, errors: [] };
  const fail = (message: string) => {
    report.failed++;
    report.errors.push(message);
    output.error(message);
  };
  // One status line for all large downloads in flight, so concurrent ones do not flicker.
  const inFlight = new Map<string, number>();
  const showProgress = (asset: Asset, received: number | null) => {
    if (received === null) inFlight.delete(asset.path);
    else inFlight.set(asset.path, Math.floor((received / asset.bytes) * 100));
    const parts = [...inFlight].map(([path, percent]) => `${path} ${percent}%`);
    output.status(parts.length === 0 ? "" : `fetching ${parts.join(", ")}`);
  };
  // Largest first, so the long downloads are not the tail of the run.
  const queue = [...selected].sort((a, b) => b.bytes - a.bytes);
  await eachLimit(queue, options.concurrency ?? 8, async (asset) => {
    const target = join(root, asset.path);
    const problem = await inspect(target, asset);
    if (problem === null) {
      report.present++;
      return;
    }
    if (options.check) {
      fail(
        problem === "missing"
          ? `Check failed for ${asset.path}: missing; run \`deno task assets\` to fetch it`
          : `Check failed for ${asset.path}: ${problem}; run \`deno task assets\` to replace it`,
      );
      return;
    }
    try {
      const bytes = options.mirror === undefined
        ? await download(asset, options.fetch ?? fetch, {
          stallMs: options.stallMs ?? 30_000,
          onProgress: asset.bytes >= PROGRESS_MIN_BYTES ? showProgress : undefined,
        })
        : await copyFromMirror(asset, options.mirror);
      await writeAtomic(asset, target, bytes);
      report.fetched++;
      const from = options.mirror === undefined ? "downloaded" : "from mirror";
      const was = problem === "missing" ? "" : `; replaced a bad copy: ${problem}`;
      output.line(`fetched ${asset.path} (${formatBytes(bytes.length)}, ${from}${was})`);
    } catch (err) {
      // Every expected failure is already a one-line AssetError; anything else still gets one line.
      fail(
        err instanceof AssetError
          ? err.message
          : `Cannot fetch ${asset.path}: ${oneLine(err)}; this is a bug in models/assets.ts`,
      );
    }
  });
  return report;
}

/** The one-line summary printed at the end of a run. */
export function summarize(report: Report, options: { check?: boolean } = {}): string {
  const ok = report.total - report.failed;
  if (options.check) {
    return report.failed === 0
      ? `assets: ${ok} ok (checked, nothing fetched)`
      : `assets: ${report.failed} failed check, ${ok} ok; run \`deno task assets\` to fix`;
  }
  const counts = `(${report.present} present, ${report.fetched} fetched)`;
  return report.failed === 0
    ? `assets: ${ok} ok ${counts}`
    : `assets: ${report.failed} failed, ${ok} ok ${counts}; see the errors above`;
}

/** An expected failure whose message is the whole story, so no stack trace is printed. */
class AssetError extends Error {}

/** Returns null when the file is in place, "missing", or what is wrong with it. */
async function inspect(target: string, asset: Asset): Promise<string | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(target);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    return `cannot stat it (${oneLine(err)})`;
  }
  if (!info.isFile) return "not a regular file";
  // The size check is free and catches truncated files without reading them.
  if (info.size !== asset.bytes) return `size ${info.size} bytes, want ${asset.bytes}`;
  // Hashing everything takes ~0.1 s for the whole manifest, so no size+mtime cache is kept.
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(target);
  } catch (err) {
    return `cannot read it (${oneLine(err)})`;
  }
  const got = await sha256Hex(bytes);
  return got === asset.sha256 ? null : shaMismatch(got, asset.sha256);
}

async function copyFromMirror(asset: Asset, mirror: string): Promise<Uint8Array> {
  const source = join(mirror, asset.mirror);
  const prefix = `Cannot copy ${asset.path} from mirror`;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(source);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new AssetError(
        `${prefix}: ${source} not found; add it to the mirror or unset ASSETS_MIRROR to download it`,
      );
    }
    throw new AssetError(`${prefix}: cannot read ${source} (${oneLine(err)})`);
  }
  const wrong = await verify(bytes, asset);
  if (wrong) {
    throw new AssetError(
      `${prefix}: ${wrong} in ${source}; replace the mirror copy or unset ASSETS_MIRROR to download it`,
    );
  }
  return bytes;
}

async function download(
  asset: Asset,
  fetchFn: FetchFn,
  options: { stallMs: number; onProgress?: (asset: Asset, received: number | null) => void },
): Promise<Uint8Array> {
  const { stallMs, onProgress } = options;
  const prefix = `Cannot fetch ${asset.path}`;
  const offline = "connect to the internet or set ASSETS_MIRROR=DIR to a local copy";
  const controller = new AbortController();
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Restarted on every chunk: a slow but moving download is fine, a silent one is not.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, stallMs);
  };
  const stallError = () =>
    new AssetError(
      `${prefix}: download stalled (no bytes for ${stallMs / 1000} s from ${asset.url}); ` +
        `retry, or set ASSETS_MIRROR=DIR to a local copy`,
    );
  arm();
  try {
    let response: Response;
    try {
      response = await fetchFn(asset.url, { signal: controller.signal });
    } catch (err) {
      if (stalled) throw stallError();
      throw new AssetError(`${prefix}: network unreachable (${networkCause(err)}); ${offline}`);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      throw new AssetError(
        `${prefix}: HTTP ${response.status} from ${asset.url}; ` +
          `check the manifest URL or set ASSETS_MIRROR=DIR`,
      );
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    let shownPercent = -1;
    const reader = response.body.getReader();
    while (true) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (stalled) throw stallError();
        throw new AssetError(`${prefix}: download interrupted (${oneLine(err)}); ${offline}`);
      }
      if (chunk.done) break;
      arm();
      chunks.push(chunk.value);
      received += chunk.value.length;
      // A server sending more than the manifest size is wrong already; stop reading early.
      if (received > asset.bytes) {
        await reader.cancel();
        throw new AssetError(
          `${prefix}: size mismatch (got more than ${asset.bytes} bytes from ${asset.url}); ` +
            `the upstream file changed: fix models/assets.tsv or set ASSETS_MIRROR=DIR`,
        );
      }
      // Redraw per whole percent, not per chunk.
      const percent = Math.floor((received / asset.bytes) * 100);
      if (percent !== shownPercent) {
        shownPercent = percent;
        onProgress?.(asset, received);
      }
    }
    const bytes = concat(chunks, received);
    const wrong = await verify(bytes, asset);
    if (wrong) {
      throw new AssetError(
        `${prefix}: ${wrong} from ${asset.url}; ` +
          `the upstream file changed: fix models/assets.tsv or set ASSETS_MIRROR=DIR`,
      );
    }
    return bytes;
  } finally {
    clearTimeout(timer);
    onProgress?.(asset, null);
  }
}

/** Returns what is wrong with the bytes, or null when size and SHA-256 match. */
async function verify(bytes: Uint8Array, asset: Asset): Promise<string | null> {
  if (bytes.length !== asset.bytes) {
    return `size mismatch (got ${bytes.length} bytes, want ${asset.bytes})`;
  }
  const got = await sha256Hex(bytes);
  return got === asset.sha256 ? null : shaMismatch(got, asset.sha256);
}

/** Writes beside the target then renames, so a killed run never leaves a half-written asset. */
async function writeAtomic(asset: Asset, target: string, bytes: Uint8Array): Promise<void> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(4)), hex2).join("");
  // `*.tmp` is in .gitignore, so a leftover from a crash is never committed.
  const temp = `${target}.${suffix}.tmp`;
  try {
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, target);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new AssetError(
      `Cannot write ${asset.path}: ${oneLine(err)}; check that ${dirname(target)} is writable`,
    );
  }
}

function shaMismatch(got: string, want: string): string {
  return `SHA-256 mismatch (got ${got.slice(0, 12)}..., want ${want.slice(0, 12)}...)`;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), hex2).join("");
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** Deno's fetch says only "fetch failed"; the reason (DNS, refused, TLS) is in `cause`. */
function networkCause(err: unknown): string {
  let deepest = err;
  while (deepest instanceof Error && deepest.cause !== undefined) deepest = deepest.cause;
  return oneLine(deepest).replace(/^error sending request for url \([^)]*\): /, "");
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, " ").trim();
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

const HELP = `Usage: deno task assets [--only GROUP[,GROUP]] [--check] [--quiet]

Fetches the model weights and test photos listed in models/assets.tsv into models/ and
tests/data/, skipping files already present with the right size and SHA-256.

  --only GROUPS    only these groups: ${GROUPS.join(", ")} (comma-separated or repeated)
  --path PATHS     only these files (manifest paths; others, e.g. your own model, are skipped)
  --check          verify present files, fetch nothing; exit 1 if any is missing or wrong
  --quiet          print nothing when every file is already in place (errors still print)
  --manifest FILE  read another manifest (default: models/assets.tsv)
  --root DIR       put files under DIR instead of the repo root
  --help           show this help

Environment:
  ASSETS_MIRROR=DIR  copy from DIR/<mirror path> instead of downloading, e.g. ../shared/assets
                     (relative to the current directory)

Exit status: 0 when every asset is in place, 1 when any failed, 2 on bad arguments.`;

export interface MainOptions {
  /** Reads environment variables; default Deno.env.get. */
  env?: (name: string) => string | undefined;
  /** Resolves relative ASSETS_MIRROR, --manifest and --root; default Deno.cwd(). */
  cwd?: string;
  fetch?: FetchFn;
  output?: Output;
}

/** The command line: parses flags, runs the step, prints the summary, returns the exit code. */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const output = options.output ?? consoleOutput();
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const cwd = options.cwd ?? Deno.cwd();
  let flags;
  try {
    flags = parseArgs({
      args: [...args],
      options: {
        only: { type: "string", multiple: true },
        path: { type: "string", multiple: true },
        quiet: { type: "boolean" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        manifest: { type: "string" },
        root: { type: "string" },
      },
    }).values;
  } catch (err) {
    output.error(`Cannot run the asset step: ${oneLine(err)}; see --help`);
    return 2;
  }
  if (flags.help) {
    output.line(HELP);
    return 0;
  }
  const only = (flags.only ?? []).flatMap((list) => list.split(",")).map((g) => g.trim());
  const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length > 0) {
    output.error(
      `Cannot run the asset step: unknown group ${JSON.stringify(unknown[0])} in --only ` +
        `(expected ${GROUPS.join(", ")})`,
    );
    return 2;
  }

  const manifestPath = flags.manifest === undefined
    ? join(REPO_ROOT, "models", "assets.tsv")
    : resolve(cwd, flags.manifest);
  let manifest: Asset[];
  try {
    manifest = readManifest(await Deno.readTextFile(manifestPath), { source: manifestPath });
  } catch (err) {
    output.error(
      err instanceof Deno.errors.NotFound
        ? `Cannot read manifest ${manifestPath}: not found; restore it with \`git checkout\``
        : oneLine(err),
    );
    return 1;
  }

  // `deno task start` asks for the files its configuration names, not a whole group.
  const paths = (flags.path ?? []).flatMap((list) => list.split(",")).map((p) => p.trim());
  if (paths.length > 0) manifest = manifest.filter((asset) => paths.includes(asset.path));

  let mirror: string | undefined;
  const mirrorEnv = env("ASSETS_MIRROR");
  if (mirrorEnv && !flags.check) {
    mirror = resolve(cwd, mirrorEnv);
    // One clear error beats one "not found" per asset when the variable itself is wrong.
    const isDir = await Deno.stat(mirror).then((info) => info.isDirectory, () => false);
    if (!isDir) {
      output.error(
        `Cannot use ASSETS_MIRROR=${mirrorEnv}: ${mirror} is not a directory; ` +
          `point it at a copy of the shared assets folder or unset it to download`,
      );
      return 1;
    }
  }

  const report = await fetchAssets(manifest, {
    root: flags.root === undefined ? REPO_ROOT : resolve(cwd, flags.root),
    mirror,
    only: only.length > 0 ? (only as Group[]) : GROUPS,
    check: flags.check,
    fetch: options.fetch,
    output,
  });
  const quietAndIdle = flags.quiet && report.fetched === 0 && report.failed === 0;
  if (!quietAndIdle) {
    const summary = summarize(report, { check: flags.check });
    if (report.failed > 0) output.error(summary);
    else output.line(summary);
  }
  return report.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
