/**
 * Runs one model on every engine and compares: the reference kernels, runtime-core's fast kernels,
 * runtime-native and runtime-wasm (each with runtime-core serving the ops it has no kernel for).
 * Every engine must give the same outcome: the same outputs (bit for bit) or the same typed error
 * (code and place), at load or at run. Anything else (a plain TypeError, a RangeError) is untyped.
 */
import { createHash } from 'node:crypto';
import { decodeModel, elementTypeName, graphInputs, isIntrnnError, type Tensor } from '@intrnn/format';
import { loadModel, type LoadOptions } from '@intrnn/runtime-core';
import type { Choices } from './mutate.js';

/** The engines compared, as load options. */
export const ENGINES: Record<string, LoadOptions> = {
  reference: { backend: 'reference' },
  core: { backends: ['core', 'reference'] },
  native: { backends: ['native', 'core', 'reference'] },
  wasm: { backends: ['wasm', 'core', 'reference'] },
};

/** At most this many values per fed tensor: the harness does not feed what it cannot hold. */
const MAX_FEED = 1 << 16;

export type Outcome = { kind: 'ok'; digest: string } | { kind: 'error'; stage: 'load' | 'run'; code: string; where: string } | { kind: 'untyped'; stage: 'load' | 'run'; message: string };

/** A short label of an outcome, equal for equal outcomes. */
export function label(o: Outcome): string {
  if (o.kind === 'ok') return `ok ${o.digest}`;
  if (o.kind === 'error') return `${o.stage} ${o.code} @ ${o.where}`;
  return `${o.stage} UNTYPED ${o.message}`;
}

function digest(outputs: Record<string, Tensor>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(outputs).sort()) {
    const t = outputs[name];
    h.update(`${name}:${t.type}:${t.dims.join(',')}:`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}

const ARRAYS = { float32: Float32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array } as const;

/**
 * Feeds for a model's declared inputs, or null if the declaration cannot be fed (unknown element
 * type, a dim too large): then only loading is compared. Symbolic dims get small sizes; token ids
 * stay mostly within the vocabulary (`idRange`), sometimes not.
 */
export function feedsFor(bytes: Uint8Array, c: Choices, idRange: number): Record<string, Tensor> | null {
  let model: ReturnType<typeof decodeModel>;
  try {
    model = decodeModel(bytes);
  } catch {
    return {};
  }
  const feeds: Record<string, Tensor> = {};
  const symbols = new Map<string, number>();
  const specs = new Map((model.graph?.input ?? []).map((v) => [v.name ?? '', v]));
  for (const input of graphInputs(model)) {
    const type = elementTypeName(specs.get(input.name)?.type?.tensorType?.elemType);
    if (!type || type === 'int4') return null; // no graph input may be int4: the load refuses the file first
    const dims = input.dims.map((d) => {
      if (typeof d === 'number') return d;
      if (!symbols.has(d)) symbols.set(d, c.int(1, 4));
      return symbols.get(d)!;
    });
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(n >= 0 && n <= MAX_FEED) || dims.some((d) => !Number.isInteger(d) || d < 0)) return null;
    const data = new ARRAYS[type](n);
    for (let i = 0; i < n; i++) {
      if (data instanceof BigInt64Array) data[i] = BigInt(c.chance(0.98) ? c.int(0, Math.max(0, idRange - 1)) : c.pick([-1, idRange, 2 ** 40]));
      else if (data instanceof Float32Array) data[i] = c.int(-100, 100) / 7;
      else data[i] = c.int(-(2 ** 31), 2 ** 31 - 1); // wraps to the array's width
    }
    feeds[input.name] = { type, dims, data };
  }
  return feeds;
}

function caught(stage: 'load' | 'run', e: unknown): Outcome {
  if (isIntrnnError(e)) return { kind: 'error', stage, code: e.code, where: e.where };
  return { kind: 'untyped', stage, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/** The outcome of loading and running the bytes on one engine. */
export function outcomeOn(bytes: Uint8Array, options: LoadOptions, feeds: Record<string, Tensor> | null): Outcome {
  let model: ReturnType<typeof loadModel>;
  try {
    model = loadModel(bytes, options);
  } catch (e) {
    return caught('load', e);
  }
  try {
    if (!feeds) return { kind: 'ok', digest: 'loaded' };
    return { kind: 'ok', digest: digest(model.run(feeds)) };
  } catch (e) {
    return caught('run', e);
  } finally {
    model.dispose();
  }
}

/** Every engine's outcome on one model, by engine name. */
export function outcomes(bytes: Uint8Array, feeds: Record<string, Tensor> | null, engines: readonly string[] = Object.keys(ENGINES)): Record<string, Outcome> {
  return Object.fromEntries(engines.map((e) => [e, outcomeOn(bytes, ENGINES[e], feeds)]));
}
