import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, Option } from 'commander';
import { decodeModel, IntrnnError, METADATA_KEY, modelKind, modelMetadata, PWL_SYMMETRY, readTensor, type ModelMetadata } from '@intrnn/format';
import { readModelBytes } from '@intrnn/runtime-core/node';
import type { EngineName } from '@intrnn/tasks';
import { parseInteger, parseNonNegative, parseSeed } from '../parse.js';
import type { Io } from '../io.js';

/** Metadata of any intrnn file (integer or float32), validated. */
function fileMetadata(bytes: Uint8Array, path: string): ModelMetadata {
  return modelMetadata(decodeModel(bytes), `${path}: metadata_props.${METADATA_KEY}`);
}

function writeFile(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The engines `--engine` accepts (@intrnn/tasks ENGINES; listed here so that help needs no import). */
const ENGINES = ['core', 'ort', 'native', 'wasm'] as const;

/** The converter's size report, loaded with the converter (it decodes any ONNX file). */
async function sizeReport(bytes: Uint8Array) {
  return (await import('@intrnn/converter')).sizeReport(bytes);
}

/** `intrnn convert`, `eval`, `inspect`, `run`. Heavy modules load inside the actions that need them. */
export function registerModelCommands(program: Command, io: Io): void {
  program
    .command('convert')
    .description(
      'convert a checkpoint to ONNX: a QAT checkpoint into an integer file (and the float32 file of the same model, and its ONNX Runtime int8-dynamic form for benchmarks); a float checkpoint into a float32 file',
    )
    .argument('<checkpoint>', 'checkpoint directory (from intrnn train)')
    .requiredOption('-o, --out <file>', 'integer model file (.onnx); for a float checkpoint, the float32 file')
    .option('--float-out <file>', 'float32 model file (default: beside --out, .float32.onnx)')
    .option('--json', 'print one JSON object with the sizes')
    .action(async (dir: string, o: { out: string; floatOut?: string; json?: boolean }) => {
      const { markdownTable } = await import('markdown-table');
      const { convertCheckpoint } = await import('@intrnn/tasks');
      const c = await convertCheckpoint(dir);
      if (!c.integer) {
        // a float checkpoint: the float32 file alone (the baseline of docs/RESULTS.md)
        writeFile(o.out, c.float32);
        const size = await sizeReport(c.float32);
        io.out.write(o.json ? JSON.stringify({ task: c.task, float32: { file: o.out, ...size } }) + '\n' : `${c.task}: ${o.out} (float32, from a float checkpoint), ${kb(size.total)}\n`);
        return;
      }
      const floatOut = o.floatOut ?? o.out.replace(/(\.onnx)?$/, '.float32.onnx');
      writeFile(o.out, c.integer);
      writeFile(floatOut, c.float32);
      writeFile(o.out.replace(/(\.onnx)?$/, '.int8-dynamic.onnx'), c.int8Dynamic!); // for intrnn bench
      const integer = await sizeReport(c.integer);
      const float32 = await sizeReport(c.float32);
      const ratio = float32.total / integer.total;
      if (o.json) {
        io.out.write(JSON.stringify({ task: c.task, integer: { file: o.out, ...integer }, float32: { file: floatOut, ...float32 }, ratio, overflowProof: c.metadata.overflowProof }) + '\n');
        return;
      }
      const classes = [...new Set([...Object.keys(integer.byClass), ...Object.keys(float32.byClass)])];
      io.out.write(`${c.task}: ${o.out} (integer) and ${floatOut} (float32)\n\n`);
      io.out.write(
        markdownTable([
          ['tensor class', 'integer', 'float32'],
          ...classes.map((k) => [k, kb(integer.byClass[k] ?? 0), kb(float32.byClass[k] ?? 0)]),
          ['**file**', kb(integer.total), kb(float32.total)],
        ]) + '\n',
      );
      const worst = c.metadata.overflowProof.reduce((a, b) => (b.bound / b.limit > a.bound / a.limit ? b : a));
      io.out.write(
        `\nfloat32 / integer size: ${ratio.toFixed(2)}x. Overflow proof: ${c.metadata.overflowProof.length} accumulators, worst ${worst.tensor} at ${((100 * worst.bound) / worst.limit).toFixed(2)}% of int32.\n`,
      );
    });

  program
    .command('eval')
    .description('evaluate a model file on a split: the task metric and a hash of every output (engines must agree)')
    .argument('<model>', '.onnx file (integer or float32)')
    .addOption(new Option('--split <split>', 'which split').choices(['valid', 'test']).default('test'))
    .addOption(new Option('--engine <engine>', 'who runs the file').choices([...ENGINES]).default('core'))
    .option('--task <task>', 'expected task (checked against the file)')
    .option('--limit <n>', 'evaluate only the first n tokens (language model), sentences (tagger) or words (G2P); 0: all', parseInteger, 0)
    .option('--beam <n>', 'G2P: beam width (1: greedy)', parseInteger, 1)
    .option('--json', 'print one JSON object')
    .action(async (path: string, o: { split: 'valid' | 'test'; engine: EngineName; task?: string; limit: number; beam: number; json?: boolean }) => {
      // the table and progress-bar modules load for the commands that print them, not for run
      const { markdownTable } = await import('markdown-table');
      const { progressReporter } = await import('../progress.js');
      const bytes = readModelBytes(path);
      const meta = fileMetadata(bytes, path);
      if (o.task && o.task !== meta.task) throw new IntrnnError('ERR_OPTION', '--task', `is ${o.task}, but ${path} holds a ${meta.task} model`);
      if (o.limit < 0) throw new IntrnnError('ERR_OPTION', '--limit', 'must be ≥ 0');
      const { evaluateModel, openEngine } = await import('@intrnn/tasks');
      const engine = await openEngine(o.engine, bytes, meta);
      const progress = progressReporter(io);
      const started = performance.now();
      try {
        const r = await evaluateModel(
          engine,
          meta,
          o.split,
          o.limit,
          (p) => progress.update({ phase: 'eval', step: p.done, totalSteps: p.total, tokensPerSecond: p.done / ((performance.now() - started) / 1000) }),
          o.beam,
        );
        progress.stop();
        if (o.json) io.out.write(JSON.stringify(r) + '\n');
        else {
          const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
          const value = r.scores
            ? `PER ${pct(r.scores.per)}, WER ${pct(r.scores.wer)} (no stress: ${pct(r.scores.perNoStress)}, ${pct(r.scores.werNoStress)})`
            : r.metric === 'accuracy'
              ? `${pct(r.value)}${r.oov && r.oov.tokens > 0 ? ` (outside the vocabulary: ${pct(r.oov.accuracy)} of ${r.oov.tokens})` : ''}`
              : r.value.toFixed(2);
          io.out.write(
            markdownTable([
              ['task', 'split', 'engine', 'numerics', r.metric, 'units', 'seconds', 'outputsSha256'],
              [r.task, r.split, r.engine, r.numerics, value, String(r.tokens), r.seconds.toFixed(1), r.outputsSha256.slice(0, 16)],
            ]) + '\n',
          );
        }
      } finally {
        progress.stop();
        await engine.close();
      }
    });

  program
    .command('inspect')
    .description('show what a model file holds: ops, tensors, bit widths, sizes, PWL tables, metadata')
    .argument('<model>', '.onnx file')
    .option('--json', 'print one JSON object')
    .action(async (path: string, o: { json?: boolean }) => {
      const { markdownTable } = await import('markdown-table');
      const bytes = readModelBytes(path);
      const meta = fileMetadata(bytes, path);
      const model = decodeModel(bytes);
      const tensors = (model.graph?.initializer ?? []).map((t) => {
        const r = readTensor(t);
        return { name: t.name ?? '', type: r.type, dims: r.dims, bytes: r.data.byteLength };
      });
      const nodes = (model.graph?.node ?? []).map((n) => ({ name: n.name ?? '', op: `${n.domain ? `${n.domain}:` : ''}${n.opType}` }));
      const pwl = Object.entries(meta.pwlTables).map(([name, scales]) => {
        const t = tensors.find((x) => x.name === name);
        const params = (model.graph?.initializer ?? []).find((x) => x.name === `${name}_params`);
        const p = params ? (readTensor(params).data as Int32Array) : new Int32Array(4);
        return { name, pieces: t ? t.dims[1] - 1 : 0, symmetry: PWL_SYMMETRY[p[2]] ?? '?', fracBits: p[0], outBits: p[1], ...scales };
      });
      const size = await sizeReport(bytes);
      const summary = {
        file: path,
        task: meta.task,
        numerics: meta.numerics,
        formatVersion: meta.formatVersion,
        opsetVersion: meta.opsetVersion,
        vocabulary: { input: meta.vocabularies.input.length, output: meta.vocabularies.output?.length ?? null },
        scales: meta.scales,
        layers: meta.layers,
        functions: (model.functions ?? []).map((f) => `${f.domain}:${f.name}`),
        nodes,
        tensors,
        pwlTables: pwl,
        overflowProof: meta.overflowProof,
        size,
        source: meta.source,
      };
      if (o.json) {
        io.out.write(JSON.stringify(summary) + '\n');
        return;
      }
      io.out.write(`${path}: ${meta.task}, ${meta.numerics}, format ${meta.formatVersion}, ai.intrnn opset ${meta.opsetVersion}, ${kb(size.total)}\n`);
      io.out.write(
        `vocabulary ${summary.vocabulary.input}${summary.vocabulary.output ? `, ${summary.vocabulary.output} labels` : ''}; trained ${meta.source.preset}, step ${meta.source.checkpointStep}, data ${meta.source.dataFingerprint}\n\n`,
      );
      io.out.write(markdownTable([['node', 'op'], ...nodes.map((n) => [n.name, n.op])]) + '\n\n');
      if (summary.functions.length) io.out.write(`model-local functions (for ONNX Runtime): ${summary.functions.join(', ')}\n\n`);
      io.out.write(markdownTable([['tensor', 'type', 'dims', 'bytes'], ...tensors.map((t) => [t.name, t.type, `[${t.dims.join(', ')}]`, String(t.bytes)])]) + '\n\n');
      if (meta.layers.length) {
        io.out.write(
          markdownTable([
            ['layer', 'cell', 'direction', 'input', 'hidden', 'gate scale', 'cell frac bits', 'MadNorm', 'widths w/h/c/acc'],
            ...meta.layers.map((l) => {
              const lstm = l.cell === 'gru' ? null : l; // a GRU has no cell state and no MadNorm
              return [
                l.node,
                l.cell ?? 'lstm',
                l.direction,
                String(l.inputSize),
                String(l.hiddenSize),
                `2^${Math.log2(l.gateScale)}`,
                lstm ? String(lstm.cellFracBits) : '-',
                lstm?.madNorm ? 'yes' : 'no',
                `${l.bits.weights}/${l.bits.hidden}/${lstm ? lstm.bits.cell : '-'}/${l.bits.accumulator}`,
              ];
            }),
          ]) + '\n\n',
        );
      }
      if (pwl.length)
        io.out.write(
          markdownTable([['PWL table', 'pieces', 'symmetry', 'frac bits', 'out bits'], ...pwl.map((t) => [t.name, String(t.pieces), t.symmetry, String(t.fracBits), String(t.outBits)])]) + '\n\n',
        );
      if (meta.overflowProof.length)
        io.out.write(
          markdownTable([
            ['accumulator', 'worst case', 'int32 limit', 'used'],
            ...meta.overflowProof.map((b) => [b.tensor, String(b.bound), String(b.limit), `${((100 * b.bound) / b.limit).toFixed(2)}%`]),
          ]) + '\n',
        );
    });

  program
    .command('run')
    .description('run an integer model: continue a prompt (language model), tag a sentence (tagger) or pronounce words (G2P)')
    .argument('<model>', 'integer .onnx file')
    .option('--prompt <text>', 'language model: text to continue')
    .option('--tokens <n>', 'language model: how many tokens to produce', parseInteger, 20)
    .option('--temperature <t>', 'language model: sampling temperature (0: most likely token)', parseNonNegative, 1)
    .option('--seed <seed>', 'language model: sampler seed, an integer or any text', parseSeed, 1)
    .option('--sentence <text>', 'tagger: words separated by spaces')
    .option('--word <word...>', 'G2P: words to pronounce')
    .addOption(
      new Option('--engine <engine>', 'runtime-core alone, or with the native or wasm kernels; auto: the fastest that loads (all give the same answers)')
        .choices(['auto', 'core', 'native', 'wasm'])
        .default('auto'),
    )
    .option('--beam <n>', 'G2P: beam width (1: greedy)', parseInteger, 4)
    .option('--json', 'print one JSON object')
    .action(
      async (
        path: string,
        o: {
          prompt?: string;
          tokens: number;
          temperature: number;
          seed: number | string;
          sentence?: string;
          word?: string[];
          beam: number;
          engine: 'auto' | 'core' | 'native' | 'wasm';
          json?: boolean;
        },
      ) => {
        // runtime-core and the native or wasm kernels only: no training stack, no ONNX Runtime
        const { LanguageModel, loadModel, Tagger, Transducer } = await import('@intrnn/runtime-core');
        const { engineBackends } = await import('@intrnn/tasks/engines');
        const model = loadModel(readModelBytes(path), { bytes: 'borrow', backends: (await engineBackends(o.engine)).backends });
        const kind = modelKind(model.metadata);
        const task = model.metadata.task;
        if (kind === 'language-model') {
          if (o.tokens < 0 || o.tokens > 10_000) throw new IntrnnError('ERR_OPTION', '--tokens', `${o.tokens} is not in [0, 10000]`);
          if (o.prompt === undefined) throw new IntrnnError('ERR_OPTION', '--prompt', 'is required for a language model');
          const lm = new LanguageModel(model);
          const tokens = lm.generate(o.prompt, { tokens: o.tokens, temperature: o.temperature, seed: o.seed, onToken: o.json ? undefined : (t) => io.out.write(`${t} `) });
          io.out.write(o.json ? JSON.stringify({ task, prompt: o.prompt, tokens, temperature: o.temperature, seed: o.seed }) + '\n' : '\n');
          return;
        }
        if (kind === 'tagger') {
          if (o.sentence === undefined) throw new IntrnnError('ERR_OPTION', '--sentence', 'is required for a tagger');
          const tagger = new Tagger(model);
          const tagged = tagger.tag(tagger.tokenize(o.sentence));
          io.out.write(o.json ? JSON.stringify({ task, tagged }) + '\n' : tagged.map((t) => `${t.word}/${t.tag}`).join(' ') + '\n');
          return;
        }
        if (o.word === undefined) throw new IntrnnError('ERR_OPTION', '--word', 'is required for a grapheme-to-phoneme model');
        const t = new Transducer(model);
        const words = o.word.map((w) => ({ word: w, ...t.pronounce(w, { beam: o.beam }) }));
        io.out.write(o.json ? JSON.stringify({ task, beam: o.beam, words }) + '\n' : words.map((w) => `${w.word}\t${w.phonemes.join(' ')}`).join('\n') + '\n');
      },
    );
}
