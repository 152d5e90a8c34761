import erf from '@stdlib/math-base-special-erf';
import { IntrnnError } from '@intrnn/format';
import type { PwlSpec, PwlSymmetry } from './pwl-spec.js';

/** Built-in functions of `intrnn pwl --fn` and their default integer grids. */
export const ACTIVATIONS = {
  sigmoid: { f: (x: number) => 1 / (1 + Math.exp(-x)), inScale: 2 ** -12, outScale: 2 ** -15, symmetry: 'point', nonPositive: false },
  tanh: { f: Math.tanh, inScale: 2 ** -12, outScale: 2 ** -15, symmetry: 'odd', nonPositive: false },
  exp: { f: Math.exp, inScale: 2 ** -10, outScale: 2 ** -15, symmetry: 'none', nonPositive: true },
  gelu: { f: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)), inScale: 2 ** -12, outScale: 2 ** -12, symmetry: 'none', nonPositive: false },
  softplus: { f: (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), inScale: 2 ** -12, outScale: 2 ** -12, symmetry: 'none', nonPositive: false },
  silu: { f: (x: number) => x / (1 + Math.exp(-x)), inScale: 2 ** -12, outScale: 2 ** -12, symmetry: 'none', nonPositive: false },
} as const satisfies Record<string, { f: (x: number) => number; inScale: number; outScale: number; symmetry: PwlSymmetry; nonPositive: boolean }>;

/** Name of a built-in function. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** Options for {@link activationSpec}; anything left out takes the function's default. */
export interface ActivationSpecOptions {
  inBits?: number;
  inScale?: number;
  outBits?: number;
  outScale?: number;
  fracBits?: number;
  symmetry?: PwlSymmetry | 'auto';
}

/**
 * The spec of a built-in function: input int`inBits` (default 16) over its full range (exp: the
 * non-positive half, since softmax subtracts the maximum), the default scales, F = 16.
 */
export function activationSpec(name: ActivationName, opts: ActivationSpecOptions = {}): PwlSpec {
  const a = ACTIVATIONS[name];
  if (!a) throw new IntrnnError('ERR_OPTION', '--fn', `unknown function '${name}' (one of ${Object.keys(ACTIVATIONS).join(', ')})`);
  const symmetry = opts.symmetry === undefined || opts.symmetry === 'auto' ? a.symmetry : opts.symmetry;
  return gridSpec(a.f, { ...opts, inScale: opts.inScale ?? a.inScale, outScale: opts.outScale ?? a.outScale, symmetry }, a.nonPositive);
}

/** A spec on the full signed `inBits` grid (only the non-positive half when `nonPositive`). */
export function gridSpec(f: (x: number) => number, opts: ActivationSpecOptions & { inScale: number; outScale: number }, nonPositive = false): PwlSpec {
  const inBits = opts.inBits ?? 16;
  if (!(Number.isInteger(inBits) && inBits >= 2 && inBits <= 24)) throw new IntrnnError('ERR_OPTION', '--in-bits', `${inBits} is not an integer in [2, 24]`);
  const symmetry = opts.symmetry === undefined || opts.symmetry === 'auto' ? 'none' : opts.symmetry;
  return {
    f,
    inMin: -(2 ** (inBits - 1)),
    inMax: nonPositive ? 0 : 2 ** (inBits - 1) - 1,
    inScale: opts.inScale,
    outBits: opts.outBits ?? 16,
    outScale: opts.outScale,
    fracBits: opts.fracBits ?? 16,
    symmetry,
  };
}
