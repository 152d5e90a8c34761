import fc from 'fast-check';
import type { PwlTable } from '@intrnn/format';
import type { GruCellParams, LstmCellParams, MadNormParams } from '../src/index.js';
import { oSlope } from './oracle/bigint-oracle.js';

/** The edge lengths of vector code (STYLE.md item 4). */
export const EDGE_LENGTHS = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65];

/** Deterministic sample of one value from an arbitrary. */
export function sample<T>(arb: fc.Arbitrary<T>, seed: number): T {
  return fc.sample(arb, { seed, numRuns: 1 })[0];
}

export function int8s(n: number, seed: number, min = -128, max = 127): Int8Array {
  return Int8Array.from(sample(fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n }), seed));
}

export function ints(n: number, min: number, max: number, seed: number): number[] {
  return sample(fc.array(fc.integer({ min, max }), { minLength: n, maxLength: n }), seed);
}

/** A PWL table through the given knots/values, slopes by §7, built with the oracle's exact slope. */
export function tableFrom(knots: number[], values: number[], opts: Partial<PwlTable> = {}): PwlTable {
  const fracBits = opts.fracBits ?? 12;
  const slopes = knots.slice(1).map((k, j) => Number(oSlope(knots[j], values[j], k, values[j + 1], fracBits)));
  return {
    inMin: knots[0],
    inMax: knots[knots.length - 1],
    knots,
    values,
    slopes,
    fracBits,
    outBits: 16,
    symmetry: 'none',
    center: 0,
    inScale: 1,
    outScale: 1,
    ...opts,
  };
}

/** A table of f sampled at evenly spaced knots: an independent stand-in for knot-searched tables. */
export function sampledTable(f: (x: number) => number, inMin: number, inMax: number, pieces: number, inScale: number, outScale: number, opts: Partial<PwlTable> = {}): PwlTable {
  const knots: number[] = [];
  for (let j = 0; j <= pieces; j++) knots.push(Math.round(inMin + ((inMax - inMin) * j) / pieces));
  const outBits = opts.outBits ?? 16;
  const hi = 2 ** (outBits - 1) - 1;
  const values = knots.map((k) => Math.max(-hi - 1, Math.min(hi, Math.round(f(k * inScale) / outScale))));
  return tableFrom(knots, values, { inScale, outScale, outBits, ...opts });
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Standard activation tables of an LSTM cell at gate scale 2^-12 and cell scale 2^-11. */
export function lstmTables(): Pick<LstmCellParams, 'sigmoid' | 'tanhGate' | 'tanhCell'> {
  return {
    sigmoid: sampledTable(sigmoid, 0, 32767, 64, 2 ** -12, 2 ** -15, { symmetry: 'point', center: 32768 }),
    tanhGate: sampledTable(Math.tanh, 0, 32767, 64, 2 ** -12, 2 ** -15, { symmetry: 'odd' }),
    tanhCell: sampledTable(Math.tanh, 0, 32767, 64, 2 ** -11, 2 ** -15, { symmetry: 'odd' }),
  };
}

export function madNormParams(n: number, seed: number): MadNormParams {
  return {
    gamma: Int16Array.from(ints(n, -32768, 32767, seed)),
    beta: Int32Array.from(ints(n, -40000, 40000, seed + 1)),
    normFracBits: 11,
    multiplier: 1 << 20,
    shift: 25,
    outBits: 16,
  };
}

/** Random weights [R, D] and [R, H] of a cell (-128 everywhere when extreme); seeds `seed`, `seed + 1`. */
function cellWeights(R: number, D: number, H: number, seed: number, extreme: boolean): { wx: Int8Array; wh: Int8Array } {
  const w = (n: number, s: number) => (extreme ? new Int8Array(n).fill(-128) : int8s(n, s, -127, 127));
  return { wx: w(R * D, seed), wh: w(R * H, seed + 1) };
}

/** Random per-row rescales of R gate rows to the gate scale (21-bit multipliers, shifts 14-22); seeds `seed` … `seed + 3`. */
function gateRescales(R: number, seed: number): { multX: Int32Array; shiftX: Int32Array; multH: Int32Array; shiftH: Int32Array } {
  return {
    multX: Int32Array.from(ints(R, 2 ** 20, 2 ** 21 - 1, seed)),
    shiftX: Int32Array.from(ints(R, 14, 22, seed + 1)),
    multH: Int32Array.from(ints(R, 2 ** 20, 2 ** 21 - 1, seed + 2)),
    shiftH: Int32Array.from(ints(R, 14, 22, seed + 3)),
  };
}

/** Random integer LSTM parameters; `extreme` uses -128 everywhere to drive saturation paths. */
export function lstmParams(D: number, H: number, seed: number, opts: { norm?: boolean; extreme?: boolean } = {}): LstmCellParams {
  const R = 4 * H;
  return {
    inputSize: D,
    hiddenSize: H,
    ...cellWeights(R, D, H, seed, opts.extreme ?? false),
    bias: Int32Array.from(ints(R, -100000, 100000, seed + 2)),
    ...gateRescales(R, seed + 3),
    norm: opts.norm ? ([0, 1, 2, 3].map((g) => madNormParams(H, seed + 10 * g)) as unknown as LstmCellParams['norm']) : undefined,
    ...lstmTables(),
    cellFracBits: 11,
    multOut: 1 << 20,
    shiftOut: 28, // 2^-15 / s_h with s_h = 2^-7
  };
}

/** Random integer GRU parameters (docs/integer-semantics.md §10b); `extreme` uses -128 everywhere. */
export function gruParams(D: number, H: number, seed: number, extreme = false): GruCellParams {
  const R = 3 * H;
  const { sigmoid, tanhGate } = lstmTables();
  return {
    inputSize: D,
    hiddenSize: H,
    ...cellWeights(R, D, H, seed, extreme),
    biasX: Int32Array.from(ints(R, -100000, 100000, seed + 2)),
    ...gateRescales(R, seed + 3),
    biasH: Int32Array.from(ints(R, -100000, 100000, seed + 7)),
    sigmoid,
    tanhGate,
    multPrev: 1 << 20, // s_h = 2^-7: h · 2^8
    shiftPrev: 12,
    multOut: 1 << 20, // 2^-15 / s_h = 2^-8
    shiftOut: 28,
  };
}

export const toBig = (a: ArrayLike<number>): bigint[] => Array.from(a, (v) => BigInt(v));
