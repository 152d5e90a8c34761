/**
 * Writes docs/RESULTS.md and docs/results.svg: per task, the integer file against the float32 file
 * of the same weights (the comparison that isolates quantization), both file sizes, and whether
 * runtime-core and ONNX Runtime agree to the bit.
 *
 * Run: `npm run docs:results -- RUN_DIR...` (default runs/lm-brown runs/pos-brown runs/g2p-cmudict:
 * one run per task, the shipped ones). Inputs per RUN_DIR: convert.json, onnx-core.json,
 * onnx-ort.json and onnx-ort-float32.json (written by tools/eval-onnx.sh), onnx-ort-float-long.json
 * (the float baseline trained as long as float + QAT, tools/train-preset.sh) when present, and
 * eval-float-test.json (the float checkpoint before QAT) when present.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadBrownLm } from '@intrnn/qat';
import { markdownTable } from 'markdown-table';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const runs = process.argv.length > 2 ? process.argv.slice(2) : ['runs/lm-brown', 'runs/pos-brown', 'runs/g2p-cmudict'];
const DOCS = join(import.meta.dirname, '..', 'docs');
const MODELS = join(import.meta.dirname, '..', 'models');

interface Eval {
  metric: string;
  value: number;
  tokens: number;
  outputsSha256: string;
  seconds: number;
  scores?: Record<string, number>;
  /** Taggers: accuracy on the test tokens outside the vocabulary. */
  oov?: { accuracy: number; tokens: number };
}

const TASKS = [
  // relative: the metric is a ratio scale (perplexity), compared in percent and printed with decimals; else a share, compared in points
  { task: 'lm-brown', title: 'Brown language model', metric: 'test perplexity', lowerBetter: true, relative: true, target: 'within 2% relative (stretch 1%)' },
  { task: 'pos-brown', title: 'Brown tagging', metric: 'test token accuracy', lowerBetter: false, relative: false, target: 'within 0.3 points' },
  { task: 'g2p-cmudict', title: 'CMUdict G2P', metric: 'test PER (greedy)', lowerBetter: true, relative: false, target: 'PER within 0.5 points' },
] as const;

// a file still being written (empty) counts as absent
const read = <T>(path: string): T | null => (existsSync(path) && statSync(path).size > 0 ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null);
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

/**
 * Count baselines on the same token stream and vocabulary as the language model (inputs: the Brown
 * corpus through loadBrownLm): add-one unigram, and a bigram interpolated with it (λ = 0.6).
 */
function countBaselines(vocabSize: number): { unigram: number; bigram: number } {
  const d = loadBrownLm({ vocabSize });
  const V = d.vocab.size;
  const counts = new Float64Array(V);
  for (const id of d.train) counts[id]++;
  const bigrams = new Map<number, number>();
  for (let i = 1; i < d.train.length; i++) bigrams.set(d.train[i - 1] * V + d.train[i], (bigrams.get(d.train[i - 1] * V + d.train[i]) ?? 0) + 1);
  const unigram = (w: number) => (counts[w] + 1) / (d.train.length + V);
  let uni = 0;
  let bi = 0;
  for (let i = 1; i < d.test.length; i++) {
    const [p, w] = [d.test[i - 1], d.test[i]];
    uni -= Math.log(unigram(w));
    bi -= Math.log(0.6 * ((bigrams.get(p * V + w) ?? 0) / Math.max(1, counts[p])) + 0.4 * unigram(w));
  }
  return { unigram: Math.exp(uni / (d.test.length - 1)), bigram: Math.exp(bi / (d.test.length - 1)) };
}

const rows: string[][] = [];
let baselines: { unigram: number; bigram: number } | null = null;
let lmTest = 0; // the integer LM's test perplexity, set with the baselines

/** What the LM's test perplexity says against the count baselines, in words that follow the numbers. */
function lmVerdict(ppl: number, b: { unigram: number; bigram: number }): string {
  const n = ppl.toFixed(1);
  if (ppl < b.bigram) return `The \`small\` LSTM language model (test perplexity ${n}) is better than both: it uses more context than the previous word.`;
  if (ppl < b.unigram)
    return `The \`small\` LSTM language model (test perplexity ${n}) is better than the unigram model but not yet than the bigram: it has learned some context, and a longer run (or the \`full\` preset) would go further. The comparison of integer against float on the same weights stands either way.`;
  return `**The \`small\` LSTM language model (test perplexity ${n}) is not better than the unigram model**: it has learned little beyond word frequencies, and its next-word distributions barely depend on the context. The comparison of integer against float on the same weights stands.`;
}
const details: string[] = [];
const chart: { task: string; model: string; value: number }[] = [];
/** A metric value as the table prints it, and the integer model's difference from a float one. */
const format = (t: (typeof TASKS)[number]) => (t.relative ? (v: number) => v.toFixed(2) : pct);
const difference = (t: (typeof TASKS)[number], integer: number, float: number) =>
  t.relative ? `${(((integer - float) / float) * 100).toFixed(2)}% relative` : `${(100 * (integer - float)).toFixed(3)} points`;
const presets: string[] = [];
for (const run of runs) {
  const convert = read<{ task: string; integer: { total: number }; float32: { total: number }; ratio: number }>(join(run, 'convert.json'));
  const t = TASKS.find((x) => x.task === convert?.task);
  if (!t) {
    console.error(`${run}: no convert.json of a known task, skipped`);
    continue;
  }
  const long = read<Eval>(join(run, 'onnx-ort-float-long.json'));
  const core = read<Eval>(join(run, 'onnx-core.json'));
  const ort = read<Eval>(join(run, 'onnx-ort.json'));
  const float = read<Eval>(join(run, 'onnx-ort-float32.json'));
  const native = read<Eval>(join(run, 'onnx-native.json'));
  if (!convert || !ort || !float) continue;
  const preset = (read<{ preset?: string }>(join(run, 'train-qat.json'))?.preset ?? (existsSync(join(run, 'float-long')) ? 'medium' : 'small')) as string;
  presets.push(`${t.task}: ${run}`);
  // runtime-core may have run a slice only; ONNX Runtime then ran the same slice too
  const ortSame = core && core.tokens !== ort.tokens ? read<Eval>(join(run, 'onnx-ort-slice.json')) : ort;
  const fmt = format(t);
  if (t.relative) {
    baselines = countBaselines(10000);
    lmTest = ort.value;
  }
  const against = (f: Eval) => difference(t, ort.value, f.value);
  const diff = against(float);
  const parity = !core
    ? 'not run'
    : ortSame && core.outputsSha256 === ortSame.outputsSha256 && core.tokens === ortSame.tokens
      ? core.tokens === ort.tokens
        ? 'identical'
        : `identical on the first ${core.tokens.toLocaleString('en-US')}`
      : 'DIFFERENT';
  const nativeParity = !native ? 'not run' : native.outputsSha256 === ort.outputsSha256 && native.tokens === ort.tokens ? 'identical' : 'DIFFERENT';
  rows.push([
    t.title,
    t.metric,
    fmt(float.value),
    long ? fmt(long.value) : '-',
    fmt(ort.value),
    diff,
    long ? against(long) : '-',
    t.target,
    mb(convert.float32.total),
    mb(convert.integer.total),
    `${convert.ratio.toFixed(2)}x`,
    parity,
    nativeParity,
  ]);
  chart.push({ task: t.title, model: 'float32 file', value: float.value }, { task: t.title, model: 'integer file', value: ort.value });
  const g2p =
    ort.scores && float.scores
      ? `\nWith and without stress (integer / float32): PER ${pct(ort.scores.per)} / ${pct(float.scores.per)}, WER ${pct(ort.scores.wer)} / ${pct(float.scores.wer)}, PER without stress ${pct(ort.scores.perNoStress)} / ${pct(float.scores.perNoStress)}, WER without stress ${pct(ort.scores.werNoStress)} / ${pct(float.scores.werNoStress)}; ${ort.scores.words} test words.\n`
      : '';
  const oov =
    ort.oov && float.oov
      ? `\nOn the ${ort.oov.tokens.toLocaleString('en-US')} test tokens outside the vocabulary (spelling features: hashed suffixes and shape): integer ${pct(ort.oov.accuracy)}, float32 of the same weights ${pct(float.oov.accuracy)}${long?.oov ? `, float32 trained as long ${pct(long.oov.accuracy)}` : ''}.\n`
      : '';
  const before = read<Record<string, number>>(join(run, 'eval-float-test.json'));
  const beforeLine = before
    ? `\nThe float checkpoint before QAT fine-tuning (tfjs): ${Object.entries(before)
        .filter(([, v]) => typeof v === 'number' && v < 1e4 && v > 0 && !Number.isInteger(v))
        .map(([k, v]) => `${k} ${k === 'perplexity' ? v.toFixed(2) : pct(v)}`)
        .join(', ')}.\n`
    : '';
  details.push(`### ${t.title}

- evaluated units: ${ort.tokens.toLocaleString('en-US')}; outputsSha256 (ONNX Runtime) \`${ort.outputsSha256}\`${core && ortSame ? `; on ${core.tokens.toLocaleString('en-US')} units runtime-core \`${core.outputsSha256}\`, ONNX Runtime \`${ortSame.outputsSha256}\`` : ''}
- wall time here (machine shared with training jobs): integer file in ONNX Runtime ${ort.seconds.toFixed(0)} s${native ? `, in runtime-native ${native.seconds.toFixed(0)} s` : ''}${core ? `, in runtime-core ${core.seconds.toFixed(0)} s (${core.tokens.toLocaleString('en-US')} units)` : ''}, float32 file in ONNX Runtime ${float.seconds.toFixed(0)} s
${g2p}${oov}${beforeLine}
\`\`\`sh
${long ? `tools/train-preset.sh ${t.task} ${preset} ${run}` : `tools/train-small.sh ${t.task} ${run}`}
tools/eval-onnx.sh ${run}
\`\`\`
`);
}

// Tasks without a run directory here: their shipped model card's figures (tools/ship-models.ts wrote
// them from the run's evaluations), so the table stays whole when only some tasks were retrained.
for (const t of TASKS) {
  if (rows.some((r) => r[0] === t.title)) continue;
  const cardFile = readdirSync(MODELS).find((f) => f.startsWith(`${t.task}-`) && f.endsWith('.json'));
  if (!cardFile) continue;
  const card = JSON.parse(readFileSync(join(MODELS, cardFile), 'utf8')) as {
    file: string;
    bytes: { integer: number; float32: number };
    test: { units: number; integer: number; float32: number; scores: { integer: Record<string, number> | null; float32: Record<string, number> | null } };
  };
  const fmt = format(t);
  const diff = difference(t, card.test.integer, card.test.float32);
  rows.push([
    t.title,
    t.metric,
    fmt(card.test.float32),
    '-',
    fmt(card.test.integer),
    diff,
    '-',
    t.target,
    mb(card.bytes.float32),
    mb(card.bytes.integer),
    `${(card.bytes.float32 / card.bytes.integer).toFixed(2)}x`,
    'see card',
    'see card',
  ]);
  chart.push({ task: t.title, model: 'float32 file', value: card.test.float32 }, { task: t.title, model: 'integer file', value: card.test.integer });
  if (t.relative) {
    baselines = countBaselines(10000);
    lmTest = card.test.integer;
  }
  presets.push(`${t.task}: the shipped model card models/${cardFile} (its run directory is not on this machine)`);
  details.push(`### ${t.title}

From the shipped model card [models/${cardFile.replace(/\.json$/, '.md')}](../models/${cardFile.replace(/\.json$/, '.md')}) (${card.file}; ${card.test.units.toLocaleString('en-US')} test units), written by tools/ship-models.ts from its run's evaluations; the per-engine hashes are in the card's run.
`);
}

const table = markdownTable(
  [
    [
      'task',
      'metric',
      'float32, same weights',
      'float32, trained as long',
      'integer file',
      'integer − float (same weights)',
      'integer − float (trained as long)',
      'target',
      'float32 size',
      'integer size',
      'ratio',
      'runtime-core = ORT',
      'runtime-native = ORT',
    ],
    ...rows,
  ],
  {
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l', 'l'],
  },
);

const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: 'Float32 file against integer file, same weights (test split)',
  data: { values: chart },
  facet: { column: { field: 'task', type: 'nominal', title: null } },
  spec: {
    width: 160,
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'model', type: 'nominal', title: null, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: 'metric (perplexity, or fraction)' },
      color: { field: 'model', type: 'nominal', legend: null },
    },
  },
  resolve: { scale: { y: 'independent' } },
};
const svg = await new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' }).toSVG();
writeFileSync(join(DOCS, 'results.svg'), svg);

writeFileSync(
  join(DOCS, 'RESULTS.md'),
  `# Results: integer against float on real data

Generated by \`tools/results-report.ts\` (\`npm run docs:results -- ${runs.join(' ')}\`) on
${cpus()[0]?.model ?? 'unknown CPU'} (2 cores), Node ${process.version}. Do not edit by hand. Runs: ${presets.join('; ')}.

Each task's QAT checkpoint was converted by \`intrnn convert\` into an integer ONNX file and the
float32 ONNX file of the same weights; both were evaluated on the whole test split by \`intrnn eval\`
(ONNX Runtime for both; runtime-native on the whole integer file and runtime-core on it or a slice of it
as well, which must give the same \`outputsSha256\`, a hash of every output integer). The float32 file of the
same weights is the float model the QAT fine-tuning ended with, so that difference isolates what
integer inference costs. Where the run has one (tools/train-preset.sh), the **float baseline trained as
long** (the float checkpoint continued for the QAT steps) is the paper's comparison: an integer model
against the float model trained for the same total steps.

${table}

![float32 against integer per task](results.svg)

## Count baselines on our own split (language model)

${baselines ? `On the same test stream and 10,000-word vocabulary: an add-one **unigram** model has test perplexity **${(baselines as { unigram: number }).unigram.toFixed(1)}**, a bigram interpolated with it (λ = 0.6) **${(baselines as { bigram: number }).bigram.toFixed(1)}** (computed by this script from the corpus). ${lmVerdict(lmTest, baselines as { unigram: number; bigram: number })}` : ''}

## Beyond the paper: GRU cells and int4 weights

Three measured comparisons have their own generated documents: [gru-vs-lstm.md](gru-vs-lstm.md) and
[gru-vs-lstm-tagger.md](gru-vs-lstm-tagger.md) (\`tools/cells-report.ts\`: a GRU language model and a GRU
tagger against the LSTM ones at equal parameters and equal training, the test metric, size and
per-token speed per engine) and [int4.md](int4.md)
(\`tools/int4-report.ts\`: int4 weights against int8 on a trained language model and on a hidden-size
sweep against ONNX Runtime's fused paths).

## Anchors from the literature (not comparable runs)

- Brown language modeling: Bengio et al. (2003), *A Neural Probabilistic Language Model*, report a test
  perplexity of about 252 for their best neural model and about 312 for the best class-based n-gram, on
  the same file order and split sizes (800,000 / 200,000 / rest) but their own token stream and a
  vocabulary of about 16,000 words; ours keeps case and punctuation tokens and has a 10,000-word
  vocabulary (docs/datasets.md), and our \`small\` model is trained for about 1.4 epochs.
- CMUdict G2P: attention and bidirectional LSTM models report about 21-23% WER (PER about 5%) on the
  older 12,000-word CMUdict test split (e.g. Yao & Zweig 2015, arXiv 1506.00196; Toshniwal & Livescu
  2016, arXiv 1610.06540). Our split is a hash split of the current dictionary (6,705 test entries,
  docs/datasets.md), and our \`small\` model is trained for a few epochs only.

## Per task

${details.join('\n')}`,
);
console.log(`docs/RESULTS.md: ${rows.length} task(s) from ${runs.join(', ')}`);
