/** `deno task eval`: measures the hot dog verdict on labelled photo folders; tables or JSON. */
import { parseArgs } from "node:util";
import { DEFAULTS, parseInputSize } from "../../config.ts";
import { extractFeatures, type PhotoRun } from "./extract.ts";
import { DEFAULT_FEATURES, fusedVector } from "../../inference/verdict/features.ts";
import {
  cascadeScore,
  classScoreFor,
  type SecondOpinionMode,
  verdictScore,
} from "../../inference/verdict/judge.ts";
import type { Scored } from "./metrics.ts";
import { loadVerdictModel, type VerdictModel } from "../../inference/verdict/model.ts";
import { listLabelledPhotos } from "./photos.ts";
import { summarise, SUMMARY_HEADER, summaryRow, sweepRows, table } from "./report.ts";

const USAGE = `Usage: deno task eval [options] [DIR...]

Runs the detector over labelled photos (folders named hotdog/hot_dog or not_hotdog/not_hot_dog,
up to 3 levels below each DIR; default tests/data/hotdog) and prints the verdict's recall,
specificity and accuracy per set, COCO's class alone for comparison, a threshold sweep, and the
worst misses by file. Photos the head was trained on are flagged: numbers on them are
in-sample (deno task train-verdict prints held-out ones).

Options:
  --head PATH|none   verdict head (default models/verdict.json); none: COCO's class alone
  --threshold X      HOTDOG_THRESHOLD (default ${DEFAULTS.HOTDOG_THRESHOLD}, the operating point)
  --size N|WxH       model input size (default: the head's, else ${DEFAULTS.INPUT_SIZE.width})
  --model PATH       ONNX model (default ${DEFAULTS.MODEL_PATH})
  --classifier PATH|none  ImageNet classifier (default ${DEFAULTS.CLASSIFIER_PATH})
  --second-opinion auto|always|never  VERDICT_SECOND_OPINION (default ${DEFAULTS.VERDICT_SECOND_OPINION})
  --every N          every Nth photo only, for a quick look (default 1)
  --worst N          misses to list per kind (default 10)
  --cache            reuse (and keep) features of photos seen before, in --cache-dir
  --cache-dir DIR    the feature cache (default tests/output/verdict-cache)
  --json             print one JSON object instead of tables
  -h, --help         this text`;

export interface EvalReport {
  verdict: { source: "head" | "class"; head: string | null; threshold: number };
  inputSize: { width: number; height: number };
  photos: number;
  /** Photos the head was trained on (by content digest). */
  trainingPhotos: number;
  summary: Record<string, ReturnType<typeof summarise>>;
  classOnly: { threshold: number; summary: Record<string, ReturnType<typeof summarise>> };
  sweep: ReturnType<typeof sweepRows>;
  misses: { missedHotdogs: Miss[]; falseHotdogs: Miss[] };
}

interface Miss {
  file: string;
  score: number;
  classScore: number;
  top: string;
  trained: boolean;
}

/** Pure: the report from per-photo runs, the head (or null) and the thresholds. */
export function evaluate(
  runs: readonly PhotoRun[],
  head: VerdictModel | null,
  options: {
    threshold: number;
    classThreshold?: number;
    worst?: number;
    headPath?: string;
    inputSize: { width: number; height: number };
    /** When the cascade asks the classifier (runs need classifier vectors; default never). */
    secondOpinion?: SecondOpinionMode;
  },
): EvalReport {
  const trained = new Set(
    (head?.provenance.data as { photos?: string[] } | undefined)?.photos ?? [],
  );
  const isTrained = (r: PhotoRun) => trained.has(r.digest.slice(0, 12));
  // As the service scores: the head behind its food gate, else COCO's class rescaled.
  const mode = options.secondOpinion ?? "never";
  const score = (r: PhotoRun) =>
    head
      ? cascadeScore(head, {
        ...r,
        fused: r.classifier ? fusedVector(r.features, r.classifier) : null,
      }, mode).score
      : verdictScore(null, r).score;
  const scored = runs.map((r) => ({ run: r, score: score(r), hotdog: r.photo.hotdog }));
  const sets = [...new Set(runs.map((r) => r.photo.set))].sort();
  const bySet = (xs: Scored[], t: number) => ({
    all: summarise(xs, t),
    ...Object.fromEntries(
      sets.map((s) => [s, summarise(xs.filter((_, i) => runs[i].photo.set === s), t)]),
    ),
  });
  const classThreshold = options.classThreshold ?? 0.25;
  const cls = runs.map((r) => ({ score: r.classScore, hotdog: r.photo.hotdog }));
  const miss = (x: (typeof scored)[number]): Miss => ({
    file: x.run.photo.path,
    score: round(x.score),
    classScore: round(x.run.classScore),
    top: x.run.top,
    trained: isTrained(x.run),
  });
  const worst = options.worst ?? 10;
  return {
    verdict: {
      source: head ? "head" : "class",
      head: head ? options.headPath ?? "verdict head" : null,
      threshold: options.threshold,
    },
    inputSize: options.inputSize,
    photos: runs.length,
    trainingPhotos: runs.filter(isTrained).length,
    summary: bySet(scored, options.threshold),
    classOnly: { threshold: classThreshold, summary: bySet(cls, classThreshold) },
    sweep: sweepRows(scored),
    misses: {
      missedHotdogs: scored.filter((x) => x.hotdog && x.score < options.threshold)
        .sort((a, b) => a.score - b.score).slice(0, worst).map(miss),
      falseHotdogs: scored.filter((x) => !x.hotdog && x.score >= options.threshold)
        .sort((a, b) => b.score - a.score).slice(0, worst).map(miss),
    },
  };
}

/** The report as text tables. */
export function formatReport(r: EvalReport): string {
  const label = r.verdict.source === "head" ? `head ${r.verdict.head}` : "COCO class alone";
  const lines = [
    `Verdict: ${label}, threshold ${r.verdict.threshold}, ` +
    `input ${r.inputSize.width}x${r.inputSize.height}, ${r.photos} photos`,
  ];
  if (r.trainingPhotos > 0) {
    lines.push(
      `WARNING: ${r.trainingPhotos} of ${r.photos} photos trained this head: their numbers are ` +
        "in-sample, not held out (deno task train-verdict prints held-out numbers).",
    );
  }
  const rows = Object.entries(r.summary).map(([k, s]) => summaryRow(`verdict, ${k}`, s));
  // In class mode the verdict rows already are COCO's class.
  const cls = r.verdict.source === "class"
    ? []
    : Object.entries(r.classOnly.summary).map(([k, s]) =>
      summaryRow(`COCO class @${r.classOnly.threshold}, ${k}`, s)
    );
  lines.push("", table([SUMMARY_HEADER, ...rows, ...cls]), "", "Threshold sweep (verdict score):");
  lines.push(
    "",
    table([
      [
        "threshold",
        ...(r.verdict.source === "class" ? ["= COCO class score"] : []),
        "recall",
        "specificity",
        "accuracy",
      ],
      ...r.sweep.map((s) => [
        String(s.threshold),
        ...(r.verdict.source === "class" ? [classScoreFor(s.threshold).toFixed(3)] : []),
        s.recall,
        s.specificity,
        s.accuracy,
      ]),
    ]),
  );
  for (
    const [title, misses] of [
      ["Hot dogs missed, lowest score first", r.misses.missedHotdogs],
      ["Called hot dog wrongly, highest score first", r.misses.falseHotdogs],
    ] as const
  ) {
    lines.push("", `${title}:`, "");
    lines.push(
      misses.length === 0 ? "(none)" : table([
        ["score", "class", "file", "top detections"],
        ...misses.map((m) => [m.score, m.classScore, m.file + (m.trained ? " *" : ""), m.top]),
      ]),
    );
  }
  if (r.trainingPhotos > 0) lines.push("", "* a photo the head was trained on");
  return lines.join("\n");
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      head: { type: "string", default: "models/verdict.json" },
      threshold: { type: "string" },
      size: { type: "string" },
      model: { type: "string", default: DEFAULTS.MODEL_PATH },
      classifier: { type: "string", default: DEFAULTS.CLASSIFIER_PATH },
      "second-opinion": { type: "string", default: DEFAULTS.VERDICT_SECOND_OPINION },
      every: { type: "string", default: "1" },
      worst: { type: "string", default: "10" },
      cache: { type: "boolean" },
      "cache-dir": { type: "string", default: "tests/output/verdict-cache" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const head = await loadVerdictModel(values.head);
  const threshold = values.threshold === undefined
    ? DEFAULTS.HOTDOG_THRESHOLD
    : Number(values.threshold);
  if (!(threshold >= 0 && threshold <= 1) || values.threshold?.trim() === "") {
    throw new Error(`Cannot use --threshold ${values.threshold}: expected a number from 0 to 1`);
  }
  const size = values.size
    ? parseInputSize(values.size)
    : head
    ? { width: head.detector.inputWidth, height: head.detector.inputHeight }
    : DEFAULTS.INPUT_SIZE;
  const every = Number(values.every);
  const worst = Number(values.worst);
  for (const [name, v] of [["every", every], ["worst", worst]] as const) {
    if (!Number.isInteger(v) || v < 0 || (name === "every" && v < 1)) {
      throw new Error(`Cannot use --${name} ${values[name]}: expected a positive integer`);
    }
  }
  const dirs = positionals.length > 0 ? positionals : ["tests/data/hotdog"];
  // Every Nth by path: folders are contiguous, so a sample keeps every set and class.
  const photos = (await listLabelledPhotos(dirs)).filter((_, i) => i % every === 0);
  if (photos.length === 0) {
    throw new Error(`Cannot evaluate: no labelled photos in ${dirs.join(", ")}`);
  }
  const started = performance.now();
  const classifier = head?.secondOpinion && values.classifier !== "none"
    ? await Deno.readFile(values.classifier)
    : undefined;
  const runs = await extractFeatures(photos, {
    model: await Deno.readFile(values.model),
    classifier,
    settings: { ...DEFAULTS, MODEL_PATH: values.model, INPUT_SIZE: size },
    features: head?.features ?? DEFAULT_FEATURES,
    cacheDir: values.cache ? values["cache-dir"] : undefined,
    onProgress: (done, total) => {
      if (!values.json && (done % 100 === 0 || done === total)) {
        console.error(
          `${done}/${total} photos, ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
      }
    },
  });
  const mode = values["second-opinion"];
  if (mode !== "auto" && mode !== "always" && mode !== "never") {
    throw new Error(`Cannot use --second-opinion ${mode}: expected auto, always or never`);
  }
  const report = evaluate(runs, head, {
    threshold,
    worst,
    headPath: values.head,
    inputSize: size,
    secondOpinion: classifier ? mode : "never",
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return 0;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(2);
  }
}
