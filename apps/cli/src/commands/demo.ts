import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { decodeModel, modelKind, modelMetadata } from '@intrnn/format';
import { LanguageModel, loadModel, Tagger, Transducer } from '@intrnn/runtime-core';
import { readModelBytes } from '@intrnn/runtime-core/node';
import { evaluateModel, measureLatency, openEngine, taskEntry } from '@intrnn/tasks';
import { progressReporter } from '../progress.js';
import { activationSpec, comparePwl, type ActivationName } from '@intrnn/qat/pwl';
import { loadCmudictG2p } from '@intrnn/qat/datasets';
import { markdownTable } from 'markdown-table';
import type { Io } from '../io.js';

/** The PWL summary: greedy knots at 1 LSB for the activations an LSTM and attention need. */
export function pwlSummaryRows(progress: (line: string) => void): string[][] {
  const rows: string[][] = [];
  const cases: Array<[ActivationName, 8 | 16]> = [
    ['sigmoid', 16],
    ['tanh', 16],
    ['exp', 16],
    ['sigmoid', 8],
    ['tanh', 8],
    ['exp', 8],
  ];
  cases.forEach(([fn, outBits], i) => {
    progress(`[${i + 1}/${cases.length}] ${fn}, int${outBits} output`);
    const outScale = (fn === 'exp' || fn === 'sigmoid' || fn === 'tanh' ? 2 ** -15 : 2 ** -12) * 2 ** (16 - outBits);
    const sym = comparePwl(activationSpec(fn, { outBits, outScale }), 1);
    const plain = fn === 'exp' ? sym : comparePwl(activationSpec(fn, { outBits, outScale, symmetry: 'none' }), 1);
    rows.push([
      fn,
      `int${outBits}`,
      String(plain.greedy.pieces),
      fn === 'exp' ? '-' : String(sym.greedy.pieces),
      String(plain.greedy.maxErrorLsb),
      plain.greedy.meanErrorLsb.toFixed(3),
      String(plain.uniformSameCount.maxErrorLsb),
      plain.uniformSameCount.meanErrorLsb.toFixed(3),
      (plain.greedy.searchMs + (fn === 'exp' ? 0 : sym.greedy.searchMs)).toFixed(0),
    ]);
  });
  return rows;
}

/** What tools/ship-models.ts records beside each shipped model. */
interface ModelCard {
  task: string;
  file: string;
  float32File: string | null;
  bytes: { integer: number; float32: number };
  test: { metric: string; units: number; integer: number; float32: number };
  demoSlice: { units: number; metric: string; integer: number; float32: number; outputsSha256: string };
  latency: { usPerToken: { integerCore: number; integerNative: number | null; float32Ort: number } };
}

/** The repository's models/ directory (this file is apps/cli/dist/commands/demo.js). */
export const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'models');

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

async function demoTask(card: ModelCard, index: number, io: Io): Promise<string[]> {
  const say = (s: string) => io.out.write(s);
  const note = (s: string) => io.err.write(`[${index}/3] ${s}\n`);
  const path = join(MODELS_DIR, card.file);
  note(`loading ${card.file}`);
  const bytes = readModelBytes(path);
  const model = loadModel(bytes);
  const meta = model.metadata;
  const entry = taskEntry(card.task, card.file);
  const kind = modelKind(meta);
  say(`\n## ${entry.title}: ${card.file}\n\n`);
  const fmt = kind === 'language-model' ? (v: number) => v.toFixed(2) : (v: number) => `${(100 * v).toFixed(2)}%`;
  if (kind === 'language-model') {
    const lm = new LanguageModel(model);
    for (const prompt of ['The jury said', 'In the first place ,']) {
      note(`continuing "${prompt}"`);
      say(`  ${prompt} … ${lm.generate(prompt, { tokens: 14, temperature: 0.7, seed: 7 }).join(' ')}\n`);
    }
  } else if (kind === 'tagger') {
    const tagger = new Tagger(model);
    for (const s of ['The committee approved the new budget on Friday .', 'She quickly read every letter that he wrote .']) {
      say(
        `  ${tagger
          .tag(s.split(' '))
          .map((t) => `${t.word}/${t.tag}`)
          .join(' ')}\n`,
      );
    }
  } else {
    const t = new Transducer(model);
    const data = loadCmudictG2p();
    const seen = new Set<string>();
    const words = data.test.filter((e) => !seen.has(e.word) && seen.add(e.word) && e.word.length > 5).slice(0, 6);
    say('  word (not in the training split)   predicted                  dictionary\n');
    for (const e of words) say(`  ${e.word.padEnd(33)}  ${t.pronounce(e.word, { beam: 4 }).phonemes.join(' ').padEnd(25)}  ${e.phones.join(' ')}\n`);
  }
  note(`evaluating the integer model on ${card.demoSlice.units} test ${kind === 'language-model' ? 'tokens' : kind === 'tagger' ? 'sentences' : 'words'} (runtime-core)`);
  const started = performance.now();
  const core = await openEngine('core', bytes, meta);
  const progress = progressReporter(io, 5);
  const r = await evaluateModel(core, meta, 'test', card.demoSlice.units, (p) =>
    progress.update({ phase: 'eval', step: p.done, totalSteps: p.total, tokensPerSecond: p.done / ((performance.now() - started) / 1000) }),
  );
  progress.stop();
  let float = card.demoSlice.float32;
  let floatLatency = card.latency.usPerToken.float32Ort;
  let floatSource = 'recorded by tools/ship-models.ts';
  if (card.float32File) {
    note('evaluating the float32 file on the same slice (ONNX Runtime)');
    const floatBytes = readModelBytes(join(MODELS_DIR, card.float32File));
    const floatMeta = modelMetadata(decodeModel(floatBytes));
    const ort = await openEngine('ort', floatBytes, floatMeta);
    float = (await evaluateModel(ort, floatMeta, 'test', card.demoSlice.units)).value;
    floatLatency = (await measureLatency(ort, floatMeta, entry.latencyIds, 60)).usPerToken;
    floatSource = 'measured now';
    await ort.close();
  }
  note('timing per-token latency');
  const latency = await measureLatency(core, meta, entry.latencyIds, 60);
  await core.close();
  const nativeEngine = await openEngine('native', bytes, meta); // falls back (and says why) without the addon
  const nativeLatency = nativeEngine.name === 'native' ? (await measureLatency(nativeEngine, meta, entry.latencyIds, 60)).usPerToken : null;
  await nativeEngine.close();
  const same = r.outputsSha256 === card.demoSlice.outputsSha256;
  say(`\n  ${r.metric} on the slice: integer ${fmt(r.value)}, float32 ${fmt(float)} (${floatSource}); full test split: integer ${fmt(card.test.integer)}, float32 ${fmt(card.test.float32)}\n`);
  say(`  outputs hash ${r.outputsSha256.slice(0, 16)}… ${same ? 'equals' : 'DIFFERS FROM'} the one recorded when the model was shipped\n`);
  return [
    card.task,
    r.metric,
    fmt(r.value),
    `${fmt(float)}${card.float32File ? '' : '*'}`,
    mb(bytes.length),
    mb(card.bytes.float32),
    `${(card.bytes.float32 / bytes.length).toFixed(2)}x`,
    nativeLatency === null ? '-' : nativeLatency.toFixed(0),
    latency.usPerToken.toFixed(0),
    `${floatLatency.toFixed(0)}${card.float32File ? '' : '*'}`,
    same ? 'yes' : 'NO',
  ];
}

/** `intrnn demo`: the main job of `npm start`. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('run the shipped integer models: outputs, accuracy against float, size, latency; then the PWL summary')
    .option('--pwl-only', 'show only the PWL summary (no models needed)')
    .action(async (o: { pwlOnly?: boolean }) => {
      const cards = existsSync(MODELS_DIR)
        ? readdirSync(MODELS_DIR)
            .filter((f) => f.endsWith('.json'))
            .sort()
            .map((f) => join(MODELS_DIR, f))
        : [];
      if (!o.pwlOnly) {
        if (cards.length === 0) io.err.write(`intrnn demo: no shipped models in ${MODELS_DIR}; showing the PWL summary only\n`);
        io.out.write('# intrnn demo: integer-only recurrent networks, run by the pure TypeScript runtime (runtime-core)\n');
        const rows: string[][] = [];
        for (const [i, f] of cards.entries()) rows.push(await demoTask(JSON.parse(readFileSync(f, 'utf8')) as ModelCard, i + 1, io));
        if (rows.length) {
          io.out.write('\n## Summary (integer model in runtime-core against the float32 file of the same weights in ONNX Runtime)\n\n');
          io.out.write(
            markdownTable([
              [
                'task',
                'metric',
                'integer',
                'float32',
                'integer file',
                'float32 file',
                'smaller',
                'µs/token integer (native)',
                'µs/token integer (TypeScript)',
                'µs/token float32 (ORT)',
                'hash as shipped',
              ],
              ...rows,
            ]) + '\n',
          );
          io.out.write(
            '\nLatency: batch 1, one thread; the language model one token per call with its state carried, the tagger per word of a 20-word sentence, G2P per decoder step. Native: the Rust kernels (runtime-native); TypeScript: runtime-core alone.\n* float32 files too large to commit (models/*.md): their slice figure and latency were measured by tools/ship-models.ts on the same slice, not now. Results and commands: docs/RESULTS.md, docs/BENCHMARKS.md.\n',
          );
        }
      }
      io.out.write('\n## Integer piecewise-linear activations (greedy knot search, Algorithm 1 of Sari et al.)\n');
      io.out.write('Inputs: int16 at scale 2^-12 (exp: 2^-10, non-positive half). Tolerance 1 output LSB, measured on all inputs.\n\n');
      const pwlRows = pwlSummaryRows((line) => io.err.write(`${line}\n`));
      const header = ['function', 'output', 'greedy pieces', 'symmetric pieces', 'max err (LSB)', 'mean err (LSB)', 'uniform max err, same pieces', 'uniform mean err', 'search ms'];
      io.out.write(markdownTable([header, ...pwlRows], { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] }) + '\n\n');
      io.out.write('Try: npx intrnn run models/g2p-cmudict-small.onnx --word quantization   ·   npx intrnn pwl --fn tanh --tolerance 2   ·   npx intrnn inspect models/lm-brown-small.onnx\n');
    });
}
