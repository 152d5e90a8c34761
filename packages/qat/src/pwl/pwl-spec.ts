import { IntrnnError } from '@intrnn/format';
import { saturate } from '@intrnn/runtime-core';

/** Symmetry a PWL table may exploit (docs/integer-semantics.md §7). */
export type PwlSymmetry = 'none' | 'odd' | 'point';

/** What to approximate, on which integer grid: the input of every knot search. */
export interface PwlSpec {
  /** The real function to approximate. */
  f: (x: number) => number;
  /** Integer input domain, inclusive; the search and its error check cover every integer in it. */
  inMin: number;
  inMax: number;
  /** Real value of one input step. */
  inScale: number;
  /** Output bit width and the real value of one output step. */
  outBits: number;
  outScale: number;
  /** Fractional bits F of the integer slopes. */
  fracBits: number;
  /** 'odd' (f(-x) = -f(x)) or 'point' (f(-x) = 2f(0) - f(x)) store only q >= 0. */
  symmetry: PwlSymmetry;
}

/** Validate a spec, with a typed error naming the field. */
export function checkPwlSpec(spec: PwlSpec): void {
  const where = (field: string) => `pwlSpec.${field}`;
  if (!Number.isInteger(spec.inMin) || !Number.isInteger(spec.inMax) || spec.inMin >= spec.inMax) {
    throw new IntrnnError('ERR_RANGE', where('inMin'), `input domain [${spec.inMin}, ${spec.inMax}] must be integers with inMin < inMax`);
  }
  if (spec.inMax - spec.inMin > 2 ** 24) {
    throw new IntrnnError('ERR_RANGE', where('inMax'), 'input domain wider than 2^24 integers cannot be searched exhaustively');
  }
  if (Math.max(Math.abs(spec.inMin), Math.abs(spec.inMax)) >= 2 ** 31) {
    throw new IntrnnError('ERR_RANGE', where('inMax'), 'input domain must lie within int32');
  }
  if (!(spec.inScale > 0 && Number.isFinite(spec.inScale))) throw new IntrnnError('ERR_RANGE', where('inScale'), `${spec.inScale} is not a positive number`);
  if (!(spec.outScale > 0 && Number.isFinite(spec.outScale))) throw new IntrnnError('ERR_RANGE', where('outScale'), `${spec.outScale} is not a positive number`);
  if (!(Number.isInteger(spec.outBits) && spec.outBits >= 2 && spec.outBits <= 32)) {
    throw new IntrnnError('ERR_RANGE', where('outBits'), `${spec.outBits} is not an integer in [2, 32]`);
  }
  if (!(Number.isInteger(spec.fracBits) && spec.fracBits >= 0 && spec.fracBits <= 30)) {
    throw new IntrnnError('ERR_RANGE', where('fracBits'), `${spec.fracBits} is not an integer in [0, 30]`);
  }
  if (spec.symmetry !== 'none' && !(spec.inMin <= 0 && spec.inMax > 0)) {
    throw new IntrnnError('ERR_RANGE', where('symmetry'), 'a symmetric table needs a domain that contains 0 and positive inputs');
  }
}

/** Round half away from zero of a real (conversion time only). */
function roundReal(v: number): number {
  return Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
}

/** T(q) = saturate(round(f(q·s_in) / s_out), B): the quantized true function (§7). */
export function quantizedTarget(spec: PwlSpec, q: number): number {
  const y = spec.f(q * spec.inScale) / spec.outScale;
  if (Number.isNaN(y)) throw new IntrnnError('ERR_FUNCTION', 'pwlSpec.f', `returns NaN at x = ${q * spec.inScale}`);
  return saturate(roundReal(Math.max(-(2 ** 52), Math.min(2 ** 52, y))), spec.outBits);
}

const targetCache = new WeakMap<PwlSpec, Int32Array>();

/**
 * T on every integer of the domain (index q - inMin), cached per spec object: sweeps such as
 * uniform-knot baselines search one spec many times. Treat specs as immutable.
 */
export function quantizedTargetTable(spec: PwlSpec): Int32Array {
  const cached = targetCache.get(spec);
  if (cached) return cached;
  const n = spec.inMax - spec.inMin + 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = quantizedTarget(spec, spec.inMin + i);
  targetCache.set(spec, out);
  return out;
}

/** The 'point' symmetry centre: round(2·f(0) / s_out); 0 otherwise. */
export function symmetryCenter(spec: PwlSpec): number {
  return spec.symmetry === 'point' ? roundReal((2 * spec.f(0)) / spec.outScale) : 0;
}
