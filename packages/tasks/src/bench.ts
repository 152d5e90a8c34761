import { existsSync } from 'node:fs';
import { decodeModel, IntrnnError, modelMetadata } from '@intrnn/format';
import { readModelBytes } from '@intrnn/runtime-core/node';
import { openEngine, type Engine, type EngineName } from './engines.js';
import { latencyStepper, median, warmupCalls } from './latency.js';
import { taskEntry } from './registry.js';

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
    open.push({ name, engine: e, stepper: latencyStepper(e, m, taskEntry(meta.task, 'metadata.task').latencyIds), calls: name === 'core' ? Math.max(10, Math.floor(calls / 4)) : calls, times: [] });
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
