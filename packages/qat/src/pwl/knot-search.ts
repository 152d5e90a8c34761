import { IntrnnError, type PwlTable } from '@intrnn/format';
import { compilePwl, pwlEval, roundingDivide } from '@intrnn/runtime-core';
import { checkPwlSpec, quantizedTargetTable, symmetryCenter, type PwlSpec } from './pwl-spec.js';

// Bound once: global lookups are slow in sandboxed realms (jest's vm) and these sit in hot loops.
const { abs, max: maxOf } = Math;

/** A PWL table with its exhaustively measured error against the quantized true function. */
export interface PwlSearchResult {
  table: PwlTable;
  pieces: number;
  /** Largest |PWL(q) - T(q)| over every integer q of the domain, in output LSB. */
  maxErrorLsb: number;
  /** Mean |PWL(q) - T(q)| over the domain, in output LSB. */
  meanErrorLsb: number;
  /** An input where the largest error occurs. */
  argMaxError: number;
  /** Wall time of the search and the final measurement, in milliseconds. */
  searchMs: number;
}

/** Shared state of one search: the spec, its target on every integer, and the table fields. */
class Search {
  readonly target: Int32Array;
  readonly center: number;
  /** Knots live on [lo, inMax]: lo = 0 for symmetric tables. */
  readonly lo: number;

  constructor(readonly spec: PwlSpec) {
    checkPwlSpec(spec);
    this.target = quantizedTargetTable(spec);
    this.center = symmetryCenter(spec);
    this.lo = spec.symmetry === 'none' ? spec.inMin : 0;
  }

  t(q: number): number {
    return this.target[q - this.spec.inMin];
  }

  slope(k0: number, k1: number): number {
    const rise = (this.t(k1) - this.t(k0)) * 2 ** this.spec.fracBits;
    const m = Math.abs(rise) <= 2 ** 53 ? roundingDivide(rise, k1 - k0) : Infinity;
    if (Math.abs(m) > 2 ** 31 - 1) {
      throw new IntrnnError('ERR_RANGE', 'pwlSpec.fracBits', `slope between knots ${k0} and ${k1} does not fit int32; use fewer fractional bits`);
    }
    return m;
  }

  table(knots: number[]): PwlTable {
    const { spec } = this;
    return {
      inMin: spec.inMin,
      inMax: spec.inMax,
      knots,
      values: knots.map((k) => this.t(k)),
      slopes: knots.slice(1).map((k, j) => this.slope(knots[j], k)),
      fracBits: spec.fracBits,
      outBits: spec.outBits,
      symmetry: spec.symmetry,
      center: this.center,
      inScale: spec.inScale,
      outScale: spec.outScale,
    };
  }

  /**
   * Error of the piece [a, b] on its inputs (and their mirrors, for symmetric tables), evaluated
   * with runtime-core's pwlEval on the one-piece table: inside [a, b) the full table computes the
   * same thing, so segment errors are exactly the final table's errors.
   */
  segment(a: number, b: number): { max: number; splitAt: number; splitErr: number } {
    const piece = this.table([a, b]);
    const { inMin, inMax } = this.spec;
    let max = 0;
    let splitAt = -1;
    let splitErr = -1;
    for (let q = a; q <= b; q++) {
      let e = abs(pwlEval(piece, q) - this.t(q));
      if (this.spec.symmetry !== 'none' && q > 0 && -q >= inMin) e = maxOf(e, abs(pwlEval(piece, -q) - this.t(-q)));
      if (e > max) max = e;
      if (q > a && q < b && e > splitErr) {
        splitErr = e;
        splitAt = q;
      }
    }
    if (b === inMax && this.spec.symmetry !== 'none') {
      // Mirrors of inputs beyond inMax (e.g. -32768 when inMax is 32767) clamp to the last knot.
      for (let q = inMax + 1; -q >= inMin; q++) max = Math.max(max, Math.abs(pwlEval(piece, -q) - this.t(-q)));
    }
    return { max, splitAt, splitErr };
  }

  result(knots: number[], started: number): PwlSearchResult {
    const table = this.table(knots);
    const m = measurePwlError(table, this.spec, this.target);
    return { table, pieces: knots.length - 1, ...m, searchMs: performance.now() - started };
  }
}

/**
 * Exhaustive error of a table against the quantized true function on every integer of its domain,
 * using runtime-core's evaluator (compilePwl, the bit-exact twin of pwlEval).
 */
export function measurePwlError(table: PwlTable, spec: PwlSpec, target = quantizedTargetTable(spec)): { maxErrorLsb: number; meanErrorLsb: number; argMaxError: number } {
  const evaluate = compilePwl(table);
  let max = 0;
  let sum = 0;
  let argMax = spec.inMin;
  for (let q = spec.inMin; q <= spec.inMax; q++) {
    const e = abs(evaluate(q) - target[q - spec.inMin]);
    sum += e;
    if (e > max) {
      max = e;
      argMax = q;
    }
  }
  return { maxErrorLsb: max, meanErrorLsb: sum / (spec.inMax - spec.inMin + 1), argMaxError: argMax };
}

/**
 * The paper's Algorithm 1, recursive greedy knot placement: start from the two ends of the domain;
 * while a segment's largest error on its integer inputs exceeds `toleranceLsb`, insert a knot at
 * the input of largest error and treat both halves the same way.
 */
export function greedyPwl(spec: PwlSpec, toleranceLsb: number): PwlSearchResult {
  if (!(Number.isFinite(toleranceLsb) && toleranceLsb >= 0)) {
    throw new IntrnnError('ERR_RANGE', 'tolerance', `${toleranceLsb} is not a non-negative number of LSB`);
  }
  const started = performance.now();
  const s = new Search(spec);
  const knots = new Set<number>([s.lo, spec.inMax]);
  // An explicit stack instead of call recursion: same order of splits, no stack-depth limit.
  const todo: Array<[number, number]> = [[s.lo, spec.inMax]];
  while (todo.length > 0) {
    const [a, b] = todo.pop()!;
    const seg = s.segment(a, b);
    // Split only at an interior input that itself breaks the tolerance: endpoint errors (possible
    // only on mirrored inputs of a symmetric table) cannot be fixed by a knot.
    if (seg.max > toleranceLsb && seg.splitErr > toleranceLsb) {
      knots.add(seg.splitAt);
      todo.push([seg.splitAt, b], [a, seg.splitAt]);
    }
  }
  return s.result(
    [...knots].sort((x, y) => x - y),
    started,
  );
}

/** Budget form: at most `maxPieces` pieces, always splitting the segment of largest error next. */
export function budgetPwl(spec: PwlSpec, maxPieces: number): PwlSearchResult {
  if (!(Number.isInteger(maxPieces) && maxPieces >= 1)) {
    throw new IntrnnError('ERR_RANGE', 'maxPieces', `${maxPieces} is not a positive integer`);
  }
  const started = performance.now();
  const s = new Search(spec);
  const segments = [{ a: s.lo, b: spec.inMax, ...s.segment(s.lo, spec.inMax) }];
  while (segments.length < maxPieces) {
    let worst = -1;
    for (let i = 0; i < segments.length; i++) {
      if (segments[i].splitErr > 0 && (worst < 0 || segments[i].max > segments[worst].max)) worst = i;
    }
    if (worst < 0) break; // no interior error left to remove
    const { a, b, splitAt } = segments[worst];
    segments.splice(worst, 1, { a, b: splitAt, ...s.segment(a, splitAt) }, { a: splitAt, b, ...s.segment(splitAt, b) });
  }
  return s.result([s.lo, ...segments.map((g) => g.b)], started);
}

/** Baseline: `pieces` pieces with evenly spaced knots over the domain (no search). */
export function uniformPwl(spec: PwlSpec, pieces: number): PwlSearchResult {
  if (!(Number.isInteger(pieces) && pieces >= 1)) {
    throw new IntrnnError('ERR_RANGE', 'pieces', `${pieces} is not a positive integer`);
  }
  const started = performance.now();
  const s = new Search(spec);
  const knots = new Set<number>();
  for (let j = 0; j <= pieces; j++) knots.add(Math.round(s.lo + ((spec.inMax - s.lo) * j) / pieces) + 0); // + 0 turns -0 into 0
  return s.result(
    [...knots].sort((x, y) => x - y),
    started,
  );
}
