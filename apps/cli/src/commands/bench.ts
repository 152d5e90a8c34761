import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeModel, IntrnnError, modelMetadata } from '@intrnn/format';
import { readModelBytes } from '@intrnn/runtime-core/node';
import { markdownTable } from 'markdown-table';
import { openEngine, type Engine, type EngineName } from '../engines.js';
import { LATENCY_IDS } from '../demo-slices.js';
import { latencyStepper, median, warmupCalls } from '../latency.js';
import { parseInteger } from '../parse.js';
import type { Io } from '../io.js';

/** One benchmark run: every engine on the same model, side by side. */
export interface BenchResult {
  model: string;
  task: string;
  engines: Record<string, { usPerToken: number; tokensPerSecond: number }>;
  /** How many times faster native is than each other engine (per token). */
  nativeSpeedup: Record<string, number>;
}

/** Time every available engine on a model file and its siblings (.float32.onnx, .int8-dynamic.onnx), interleaved call by call. */
export async function benchModel(path: string, calls: number, onEngine?: (name: string) => void, block = 1): Promise<BenchResult> {
  const intBytes = readModelBytes(path);
  const meta = modelMetadata(decodeModel(intBytes), `${path}: metadata`);
  if (meta.numerics !== 'integer') throw new IntrnnError('ERR_OPTION', path, 'bench takes the integer file (its .float32.onnx and .int8-dynamic.onnx siblings are found beside it)');
  const runs: [string, EngineName, string][] = [
    ['native', 'native', path],
    ['core', 'core', path],
    ['ort-integer-file', 'ort', path],
    ['ort-float32', 'ort', path.replace(/\.onnx$/, '.float32.onnx')],
    ['ort-int8-dynamic', 'ort', path.replace(/\.onnx$/, '.int8-dynamic.onnx')],
  ];
  // open every engine first, then time them call by call in turn: noise hits all of them alike
  const open: { name: string; engine: Engine; stepper: { step(): Promise<number> }; calls: number; times: number[] }[] = [];
  for (const [name, engine, file] of runs) {
    if (!existsSync(file)) continue;
    onEngine?.(name);
    const bytes = file === path ? intBytes : readModelBytes(file);
    const m = file === path ? meta : modelMetadata(decodeModel(bytes), `${file}: metadata`);
    const e = await openEngine(engine, bytes, m);
    if (name === 'native' && e.name !== 'native') {
      await e.close();
      continue; // the addon is not built here: no native row rather than a mislabeled one
    }
    // runtime-core is ~50x slower: fewer calls keep the run short, its median stays stable
    open.push({ name, engine: e, stepper: latencyStepper(e, m, LATENCY_IDS[meta.task]), calls: name === 'core' ? Math.max(10, Math.floor(calls / 4)) : calls, times: [] });
  }
  // Engines take turns in blocks of `block` calls. Within a block an engine runs as a streaming user's
  // would, its weights warm in cache; the first call of each block (after another engine ran) is not
  // timed. block = 1 alternates every call: each engine then finds the others' data in the caches.
  const warm = warmupCalls(calls);
  for (const o of open) for (let i = 0; i < warm; i++) await o.stepper.step();
  let left = open.length;
  while (left > 0) {
    left = 0;
    for (const o of open) {
      if (o.times.length >= o.calls) continue;
      if (block > 1) await o.stepper.step();
      for (let i = 0; i < block && o.times.length < o.calls; i++) o.times.push(await o.stepper.step());
      if (o.times.length < o.calls) left++;
    }
  }
  const engines: BenchResult['engines'] = {};
  for (const o of open) {
    const us = median(o.times);
    engines[o.name] = { usPerToken: us, tokensPerSecond: 1e6 / us };
    await o.engine.close();
  }
  const nativeSpeedup: Record<string, number> = {};
  if (engines.native) for (const [k, v] of Object.entries(engines)) if (k !== 'native') nativeSpeedup[k] = v.usPerToken / engines.native.usPerToken;
  return { model: path, task: meta.task, engines, nativeSpeedup };
}

/** `intrnn bench`: per-token latency of every engine on the same model, batch 1, one thread. */
export function registerBench(program: Command, io: Io): void {
  program
    .command('bench')
    .description('per-token latency of runtime-native, runtime-core and ONNX Runtime (integer file, float32 file, its int8-dynamic form) on one model')
    .argument('<model>', 'integer .onnx file (siblings .float32.onnx and .int8-dynamic.onnx are used when present)')
    .option('--calls <n>', 'timed calls per engine (median)', parseInteger, 200)
    .option('--block <n>', 'engines take turns in blocks of n calls (the first of each block untimed); 1: alternate every call, so each engine meets the others\' data in the caches', parseInteger, 32)
    .option('--json', 'print one JSON object')
    .action(async (path: string, o: { calls: number; block: number; json?: boolean }) => {
      if (o.calls < 5) throw new IntrnnError('ERR_OPTION', '--calls', 'must be at least 5');
      if (o.block < 1) throw new IntrnnError('ERR_OPTION', '--block', 'must be at least 1');
      const r = await benchModel(path, o.calls, (name) => io.err.write(`[bench] ${name}\n`), o.block);
      if (o.json) {
        io.out.write(JSON.stringify(r) + '\n');
        return;
      }
      io.out.write(markdownTable([['engine', 'µs / token (median)', 'tokens / s', 'native is faster by'], ...Object.entries(r.engines).map(([k, v]) => [k, v.usPerToken.toFixed(1), v.tokensPerSecond.toFixed(0), k === 'native' ? '-' : r.nativeSpeedup[k] ? `${r.nativeSpeedup[k].toFixed(2)}x` : '-'])], { align: ['l', 'r', 'r', 'r'] }) + '\n');
    });
}
