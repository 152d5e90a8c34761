import { DataType } from '@intrnn/format';
import type { GraphBuilder } from './graph-builder.js';

/**
 * docs/integer-semantics.md written in standard ONNX integer ops (int64 values), so that ONNX
 * Runtime computes exactly what runtime-core's reference kernels compute. ORT's BitShift takes
 * unsigned types only, so shifts work on magnitudes (uint64) and the sign is put back after.
 */
export class IntOps {
  private one?: string;
  private oneU?: string;

  constructor(readonly b: GraphBuilder) {}

  private u64One(): string {
    return (this.oneU ??= this.b.constant(1, 'uint64'));
  }

  int64One(): string {
    return (this.one ??= this.b.constant(1));
  }

  cast(x: string, to: number): string {
    return this.b.node('Cast', [x], { to });
  }

  toInt64(x: string): string {
    return this.cast(x, DataType.INT64);
  }

  /** 2^e for a non-negative int64 tensor e. */
  pow2(e: string): string {
    return this.toInt64(this.b.node('BitShift', [this.u64One(), this.cast(e, DataType.UINT64)], { direction: 'LEFT' }));
  }

  /** -m where x < 0, else m. ORT's Sign is wrong on int64 beyond ±2^31 (returns -1 for 2^31), so Where. */
  private withSignOf(x: string, m: string): string {
    return this.b.node('Where', [this.b.node('Less', [x, this.b.constant(0)]), this.b.node('Neg', [m]), m]);
  }

  /** round(x / 2^s), half away from zero (§2); s ≥ 0 broadcasts against x. */
  roundingShiftRight(x: string, s: string): string {
    const b = this.b;
    const mag = this.cast(b.node('Abs', [x]), DataType.UINT64);
    const su = this.cast(s, DataType.UINT64);
    // half = 2^s / 2, which is 0 for s = 0
    const half = b.node('BitShift', [b.node('BitShift', [this.u64One(), su], { direction: 'LEFT' }), this.u64One()], { direction: 'RIGHT' });
    const q = b.node('BitShift', [b.node('Add', [mag, half]), su], { direction: 'RIGHT' });
    return this.withSignOf(x, this.toInt64(q));
  }

  /** applyMultiplier (§5): round(x · M / 2^s). */
  applyMultiplier(x: string, m: string, s: string): string {
    return this.roundingShiftRight(this.b.node('Mul', [x, m]), s);
  }

  clip(x: string, lo: string, hi: string): string {
    return this.b.node('Clip', [x, lo, hi]);
  }

  /** Saturate to a signed width known when the graph is built (§3). */
  saturate(x: string, bits: number): string {
    return this.clip(x, this.b.constant(-(2 ** (bits - 1))), this.b.constant(2 ** (bits - 1) - 1));
  }

  /** [lo, hi] of a signed width given as an int64 tensor. */
  range(bits: string): [string, string] {
    const hiPlus = this.pow2(this.b.node('Sub', [bits, this.int64One()]));
    return [this.b.node('Neg', [hiPlus]), this.b.node('Sub', [hiPlus, this.int64One()])];
  }

  /** round(a / n), half away from zero, for n > 0 (§2): sign(a) · ⌊(2|a| + n) / 2n⌋. */
  roundingDivide(a: string, n: string): string {
    const b = this.b;
    const two = b.constant(2);
    const num = b.node('Add', [b.node('Mul', [b.node('Abs', [a]), two]), n]);
    return this.withSignOf(a, b.node('Div', [num, b.node('Mul', [n, two])]));
  }
}

/** A PWL table's int64 constants, derived once outside the time loop. */
export interface PwlConstants {
  knots: string;
  values: string;
  slopes: string;
  inner: string;
  firstKnot: string;
  lastKnot: string;
  lastValue: string;
  fracBits: string;
  lo: string;
  hi: string;
  symmetric: string;
  center: string;
}

/**
 * Unpack a PWL table stored as two tensors: `table` int32 [3, K] (knots; values; slopes padded with
 * a trailing 0) and `params` int32 [4] (fracBits, outBits, symmetry 0 none / 1 odd / 2 point, center).
 */
export function pwlConstants(ops: IntOps, table: string, params: string): PwlConstants {
  const b = ops.b;
  const t = ops.toInt64(table);
  const p = ops.toInt64(params);
  const row = (i: number) => b.node('Gather', [t, b.constant(i)], { axis: 0 });
  const param = (i: number) => b.node('Gather', [p, b.constant(i)], { axis: 0 });
  const knots = row(0);
  const values = row(1);
  const [lo, hi] = ops.range(param(1));
  return {
    knots,
    values,
    slopes: row(2),
    inner: b.node('Slice', [knots, b.constant([1]), b.constant([-1]), b.constant([0])]),
    firstKnot: b.node('Gather', [knots, b.constant(0)], { axis: 0 }),
    lastKnot: b.node('Gather', [knots, b.constant(-1)], { axis: 0 }),
    lastValue: b.node('Gather', [values, b.constant(-1)], { axis: 0 }),
    fracBits: param(0),
    lo,
    hi,
    symmetric: b.node('Greater', [param(2), b.constant(0)]),
    center: param(3),
  };
}

/** pwlEval (§7) on every element of an int64 tensor q. */
export function pwl(ops: IntOps, c: PwlConstants, q: string): string {
  const b = ops.b;
  const a = b.node('Where', [c.symmetric, b.node('Abs', [q]), q]);
  const clamped = ops.clip(a, c.firstKnot, c.lastKnot);
  // piece index: how many inner knots are ≤ the input
  const le = b.node('Not', [b.node('Less', [b.node('Unsqueeze', [clamped, b.constant([-1])]), c.inner])]);
  const j = b.node('ReduceSum', [ops.cast(le, DataType.INT64), b.constant([-1])], { keepdims: 0 });
  const kj = b.node('Gather', [c.knots, j], { axis: 0 });
  const vj = b.node('Gather', [c.values, j], { axis: 0 });
  const mj = b.node('Gather', [c.slopes, j], { axis: 0 });
  const interp = b.node('Add', [vj, ops.roundingShiftRight(b.node('Mul', [b.node('Sub', [clamped, kj]), mj]), c.fracBits)]);
  const inside = b.node('Where', [b.node('Less', [clamped, c.lastKnot]), ops.clip(interp, c.lo, c.hi), c.lastValue]);
  const mirrored = ops.clip(b.node('Sub', [c.center, inside]), c.lo, c.hi);
  const negative = b.node('And', [c.symmetric, b.node('Less', [q, b.constant(0)])]);
  return b.node('Where', [negative, mirrored, inside]);
}
