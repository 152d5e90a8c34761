import type { LstmCellParams } from '@intrnn/runtime-core';
import { disposeLstmQatConstants, QLstm, type LstmQatConstants, type LstmQuantState, type LstmRanges } from './qlstm.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/**
 * A bidirectional LSTM layer: a forward cell over the sequence and a backward cell over the reversed
 * sequence, outputs concatenated per step [B, T, 2H] (docs/integer-semantics.md §10). The two
 * directions have their own weights and share one quantization state (scales and PWL tables), as
 * in the paper.
 */
export class QBiLstm {
  readonly forward: QLstm;
  readonly backward: QLstm;

  constructor(
    inputSize: number,
    readonly hiddenSize: number,
    seed: number,
    name = 'bilstm',
    madNorm = false,
  ) {
    this.forward = new QLstm(inputSize, hiddenSize, seed, `${name}/fw`, madNorm);
    this.backward = new QLstm(inputSize, hiddenSize, seed + 5, `${name}/bw`, madNorm);
  }

  get variables(): tf.Variable[] {
    return [...this.forward.variables, ...this.backward.variables];
  }

  forwardFloat(x: T, ranges?: LstmRanges): T {
    const fw = this.forward.forwardFloat(x, undefined, ranges).ys;
    const bw = tf.reverse(this.backward.forwardFloat(tf.reverse(x, 1), undefined, ranges).ys, 1);
    return tf.concat([fw, bw], 2);
  }

  /** One quantization state for both directions, from ranges observed over both. */
  static calibrate(inputScale: number, ranges: LstmRanges, normGammaMax?: number): LstmQuantState {
    return QLstm.calibrate(inputScale, ranges, normGammaMax);
  }

  normGammaMax(): number | undefined {
    const a = this.forward.normGammaMax();
    const b = this.backward.normGammaMax();
    return a === undefined || b === undefined ? undefined : Math.max(a, b);
  }

  qatConstants(state: LstmQuantState, previous?: { fw: LstmQatConstants; bw: LstmQatConstants }): { fw: LstmQatConstants; bw: LstmQatConstants } {
    return { fw: this.forward.qatConstants(state, previous?.fw), bw: this.backward.qatConstants(state, previous?.bw) };
  }

  forwardQat(xInt: T, k: { fw: LstmQatConstants; bw: LstmQatConstants }): T {
    const fw = this.forward.forwardQat(xInt, k.fw).ys;
    const bw = tf.reverse(this.backward.forwardQat(tf.reverse(xInt, 1), k.bw).ys, 1);
    return tf.concat([fw, bw], 2);
  }

  exportCells(k: { fw: LstmQatConstants; bw: LstmQatConstants }): { forward: LstmCellParams; backward: LstmCellParams } {
    return { forward: this.forward.exportCell(k.fw), backward: this.backward.exportCell(k.bw) };
  }

  static disposeConstants(k: { fw: LstmQatConstants; bw: LstmQatConstants }): void {
    disposeLstmQatConstants(k.fw);
    disposeLstmQatConstants(k.bw);
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
