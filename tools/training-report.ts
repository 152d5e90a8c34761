/**
 * Writes docs/training.md from the training runs of the three tasks made by tools/train-small.sh.
 *
 * Run: `npm run docs:training [RUNS_ROOT]` (default runs). Inputs, per task found under
 * RUNS_ROOT/{lm-brown,pos-brown,g2p-cmudict}: train-{float,qat}.json (`intrnn train --json`, whose
 * validation figures are full passes over the validation split unless the preset says otherwise),
 * eval-{float,qat}-{valid,test}.json (`intrnn eval-qat --json`; valid falls back to the training
 * summary's), and {float,qat}/checkpoint.json for steps and wall time.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { markdownTable } from 'markdown-table';

const root = process.argv[2] ?? 'runs';
type Figures = Record<string, number>;

interface TaskReport {
  task: string;
  title: string;
  about: string;
  /** Metric columns: label, key in the figures, how to print, whether lower is better. */
  metrics: { label: string; key: string; format: (v: number) => string }[];
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const TASKS: TaskReport[] = [
  {
    task: 'lm-brown',
    title: 'Brown language model',
    about:
      '2 LSTM layers, H = 256, embedding 256, vocabulary of the 10,000 most frequent training words. Float pretraining with the full softmax and dropout 0.3, then QAT fine-tuning. Perplexities over whole splits, streaming with the state carried. The output bias starts at the log-frequencies of the training words, so training begins at the unigram model and spends its steps on context (from a zero bias, Adam at this learning rate had needed a whole epoch just to reach unigram frequencies). docs/RESULTS.md sets the test perplexity beside add-one unigram and bigram models on the same split.',
    metrics: [{ label: 'perplexity', key: 'perplexity', format: (v) => v.toFixed(2) }],
  },
  {
    task: 'pos-brown',
    title: 'Brown part-of-speech tagging',
    about:
      'Bidirectional LSTM, H = 128 per direction, embedding 128, MadNorm on the gate pre-activations of both directions, 187 tags (Brown tags with affixes stripped), words seen at least twice. Token accuracy over whole splits.',
    metrics: [{ label: 'token accuracy', key: 'accuracy', format: pct }],
  },
  {
    task: 'g2p-cmudict',
    title: 'CMUdict grapheme-to-phoneme',
    about:
      'Bidirectional LSTM encoder over letters (H = 128 per direction, embedding 64), LSTM decoder (H = 256) with integer dot-product attention (PWL exp softmax, docs/integer-semantics.md §9a). Greedy decoding; a word is right if it equals any of its dictionary pronunciations; phoneme errors against the closest one.',
    metrics: [
      { label: 'PER', key: 'per', format: pct },
      { label: 'WER', key: 'wer', format: pct },
      { label: 'PER no stress', key: 'perNoStress', format: pct },
      { label: 'WER no stress', key: 'werNoStress', format: pct },
    ],
  },
];

function readJson(path: string): Record<string, unknown> | null {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

function section(t: TaskReport): string | null {
  const run = join(root, t.task);
  const train = { float: readJson(join(run, 'train-float.json')), qat: readJson(join(run, 'train-qat.json')) };
  if (!train.float || !train.qat) return null;
  const figures = (mode: 'float' | 'qat', split: 'valid' | 'test'): Figures | null =>
    (readJson(join(run, `eval-${mode}-${split}.json`)) as Figures | null) ?? (split === 'valid' ? (train[mode]!.validation as Figures) : null);
  const rows: string[][] = [];
  for (const mode of ['float', 'qat'] as const) {
    const tr = train[mode]!;
    const ck = readJson(join(run, mode, 'checkpoint.json'))!;
    const rate = tr.tokensPerSecond as number; // 0 when the last session only re-evaluated a finished checkpoint
    const row = [mode === 'float' ? 'float (pretrained)' : 'QAT (integer forward)', String(tr.steps), rate > 0 ? rate.toFixed(0) : '-', `${((ck.elapsedSeconds as number) / 60).toFixed(0)} min`];
    for (const split of ['valid', 'test'] as const) {
      const f = figures(mode, split);
      for (const m of t.metrics) row.push(f ? m.format(f[m.key]) : '-');
    }
    rows.push(row);
  }
  const header = ['model', 'steps', 'tokens/s', 'training time', ...['valid', 'test'].flatMap((s) => t.metrics.map((m) => `${s} ${m.label}`))];
  const fp = train.float.dataFingerprint as string;
  return `## ${t.title} (\`${t.task}\`, \`small\` preset)

${t.about} Data fingerprint \`${fp}\` (docs/datasets.md).

${markdownTable([header, ...rows], { align: header.map((_, i) => (i === 0 ? 'l' : 'r')) })}

Commands: \`tools/train-small.sh ${t.task} ${run}\`, which runs

\`\`\`sh
npx intrnn train --task ${t.task} --preset small --out ${run}/float --json
npx intrnn train --task ${t.task} --preset small --out ${run}/qat --qat-from ${run}/float --json
npx intrnn eval-qat ${run}/float --split valid --json    # and --split test; the same for ${run}/qat
\`\`\`
`;
}

const sections = TASKS.map(section).filter((s): s is string => s !== null);
writeFileSync(
  join(import.meta.dirname, '..', 'docs', 'training.md'),
  `# Training results

Generated by \`tools/training-report.ts\` (\`npm run docs:training -- ${root}\`) from the runs under \`${root}\`, made by
\`tools/train-small.sh\` on ${cpus()[0]?.model ?? 'unknown CPU'} (2 cores), Node ${process.version}. Do not edit by hand.

Every task trains a float model, then fine-tunes it with quantization-aware training: ranges
calibrated on 8 batches, PWL tables built by the knot search, and a forward pass that computes the
integer runtime's integers exactly (docs/integer-semantics.md §10a). The QAT rows evaluate that
integer forward pass.

How to read the float against QAT rows: the QAT model is the float model plus the QAT fine-tuning
steps (without dropout, at a lower learning rate), and none of these short runs is converged, so a
QAT row that is better than its float row mostly shows more training, not an effect of quantization.
What the rows do show is that the integer forward pass trains and evaluates without loss against its
float starting point. The comparison that isolates quantization, the integer file against the float32
file of the same weights, is in docs/conversion.md. Training time is the wall time of each stage's
last session (a resumed stage counts its last session only); tokens/s is measured while other jobs
shared the two cores, so docs/training-speed.md (measured alone) is the speed reference.

${sections.join('\n')}`,
);
console.log(`docs/training.md: ${sections.length} task(s) from ${root}`);
