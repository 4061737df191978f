/** `deno task train-verdict`: trains the verdict head on labelled photos and writes its JSON. */
import { parseArgs } from "node:util";
import { basename } from "node:path";
import { DEFAULTS, parseInputSize } from "../../config.ts";
import { prepareClassifier } from "../../inference/classifier_prepare.ts";
import { prepareModel } from "../../inference/model_prepare.ts";
import { buildVerdict, formatJson } from "./build.ts";
import { extractFeatures, sha256Hex } from "./extract.ts";
import { DEFAULT_FEATURES } from "../../inference/verdict/features.ts";
import { listLabelledPhotos } from "./photos.ts";

const USAGE = `Usage: deno task train-verdict [options] [DIR...]

Trains the hot dog verdict head (logistic regression on the detector's pooled features and
class scores) on labelled photos: folders named hotdog/hot_dog or not_hotdog/not_hot_dog, up
to 3 levels below each DIR (default tests/data/hotdog). Prints held-out numbers from nested
cross-validation, then writes the head with its metrics and provenance. Deterministic: the
same photos and options give the same file.

Options:
  --out PATH             where to write (default models/verdict.json)
  --check                write nothing; exit 1 if --out differs from what training gives
  --size N|WxH           input size served: the threshold and headline numbers are for it
                         (default ${DEFAULTS.INPUT_SIZE.width})
  --also-sizes LIST      more sizes to train on too, e.g. 256,416,512,640, so one head serves
                         them all (at some cost at the served size; default none)
  --model PATH           ONNX model (default ${DEFAULTS.MODEL_PATH})
  --classifier PATH|none ImageNet classifier for the second opinion (default
                         ${DEFAULTS.CLASSIFIER_PATH}); none: the detector head alone
  --seed N               seed for every split (default 1)
  --folds K              outer cross-validation folds (default 10)
  --specificity X        operating point kept on out-of-fold scores (default 0.95)
  --cache DIR            feature cache (default tests/output/verdict-cache; "none" to skip)
  -h, --help             this text`;

// Licences of the dev sets, as recorded in the asset mirror's README.
const LICENCES: Record<string, string> = {
  "seefood-train": "as published by its authors (github.com/imckechn/Seefood, archive/train)",
  "truepositive-train": "AGPL-3.0 (github.com/truepositive/hotdog_nothotdog, train)",
};

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: "models/verdict.json" },
      check: { type: "boolean" },
      size: { type: "string" },
      "also-sizes": { type: "string", default: "none" },
      model: { type: "string", default: DEFAULTS.MODEL_PATH },
      classifier: { type: "string", default: DEFAULTS.CLASSIFIER_PATH },
      seed: { type: "string", default: "1" },
      folds: { type: "string", default: "10" },
      specificity: { type: "string", default: "0.95" },
      cache: { type: "string", default: "tests/output/verdict-cache" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const size = values.size ? parseInputSize(values.size) : DEFAULTS.INPUT_SIZE;
  const seed = positiveInt("seed", values.seed);
  const folds = positiveInt("folds", values.folds);
  const specificity = Number(values.specificity);
  if (!(specificity > 0 && specificity < 1)) {
    throw new Error(`Cannot use --specificity ${values.specificity}: expected a number in (0, 1)`);
  }
  const dirs = positionals.length > 0 ? positionals : ["tests/data/hotdog"];
  const photos = await listLabelledPhotos(dirs);
  if (
    photos.filter((p) => p.hotdog).length < folds || photos.filter((p) => !p.hotdog).length < folds
  ) {
    throw new Error(
      `Cannot train on ${photos.length} photos in ${dirs.join(", ")}: need ${folds} of each class`,
    );
  }
  const modelBytes = await Deno.readFile(values.model);
  const classifierBytes = values.classifier === "none"
    ? undefined
    : await Deno.readFile(values.classifier);
  const classifier = classifierBytes
    ? {
      name: basename(values.classifier).replace(/\.onnx$/, ""),
      sha256: await sha256Hex(classifierBytes),
      channels: prepareClassifier(classifierBytes).channels,
    }
    : undefined;
  const classes = prepareModel(modelBytes).classNames.length;
  const also = values["also-sizes"] === "none"
    ? []
    : values["also-sizes"].split(",").map((s) => parseInputSize(s));
  const sizes = [size, ...also.filter((s) => s.width !== size.width || s.height !== size.height)];
  const views = [];
  for (const { width, height } of sizes) {
    const runs = await extractFeatures(photos, {
      model: modelBytes,
      classifier: classifierBytes,
      // The service's own settings at this size: whatever shapes its input shapes the features.
      settings: { ...DEFAULTS, MODEL_PATH: values.model, INPUT_SIZE: { width, height } },
      features: DEFAULT_FEATURES,
      cacheDir: values.cache === "none" ? undefined : values.cache,
      onProgress: (done, total) => {
        if (done % 100 === 0 || done === total) {
          console.error(`features at ${width}x${height}: ${done}/${total}`);
        }
      },
    });
    views.push({ width, height, runs });
  }
  const runs = views[0].runs;

  const sets = [...new Set(photos.map((p) => p.set))].sort();
  const digests = runs.map((r) => r.digest).sort();
  // Only what shapes the file: --check, --out and --cache do not.
  const shaping = [
    "size",
    "also-sizes",
    "model",
    "classifier",
    "seed",
    "folds",
    "specificity",
  ] as const;
  const command = [
    "deno task train-verdict",
    ...shaping.filter((k) => args.some((a) => a === `--${k}` || a.startsWith(`--${k}=`)))
      .map((k) => `--${k} ${values[k]}`),
    ...positionals,
  ].join(" ");
  const { model, report } = buildVerdict(views, {
    detector: {
      name: basename(values.model).replace(/\.onnx$/, ""),
      classes,
      inputWidth: size.width,
      inputHeight: size.height,
      trainedSizes: sizes,
    },
    features: DEFAULT_FEATURES,
    classifier,
    outerFolds: folds,
    seed,
    targetSpecificity: specificity,
    provenance: {
      command,
      model: { file: basename(values.model), sha256: await sha256Hex(modelBytes) },
      ...(classifier ? { classifier: { file: basename(values.classifier), ...classifier } } : {}),
      data: {
        dirs,
        sets: Object.fromEntries(sets.map((s) => {
          const of = photos.filter((p) => p.set === s);
          const hotdog = of.filter((p) => p.hotdog).length;
          return [s, { hotdog, notHotdog: of.length - hotdog, licence: LICENCES[s] ?? "unknown" }];
        })),
        // The photos' SHA-256 (first 12 hex digits), so eval can tell training photos apart.
        photos: digests.map((d) => d.slice(0, 12)),
      },
      note: "Photos are not redistributed here: `deno task assets` fetches them by SHA-256.",
    },
  });
  console.log(report);
  const text = formatJson(model) + "\n";
  if (values.check) {
    // Values, not layout: a file `deno fmt` rewrapped holds the same model.
    const existing = await Deno.readTextFile(values.out).catch(() => "");
    if (!sameJson(existing, text)) {
      console.error(`${values.out} differs from what training gives: rerun without --check`);
      return 1;
    }
    console.error(`${values.out} is reproduced exactly (every value)`);
    return 0;
  }
  await Deno.writeTextFile(values.out, text);
  console.error(`wrote ${values.out} (${text.length} bytes)`);
  return 0;
}

/** True when both texts parse to the same JSON value (keys in the same order). */
export function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`Cannot use --${name} ${text}: expected a positive integer`);
  }
  return v;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(2);
  }
}
