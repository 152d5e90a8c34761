import type { GruCellParams, LstmCellParams } from '@intrnn/runtime-core';
import { disposeGruQatConstants, QGru, type GruQatConstants, type GruQuantState, type GruRanges } from './qgru.js';
import { disposeLstmQatConstants, QLstm, type LstmQatConstants, type LstmQuantState, type LstmRanges } from './qlstm.js';
import { tf } from './tf-backend.js';

type T = tf.Tensor;

/** What a bidirectional layer needs of its cell: QLstm and QGru share these signatures. */
interface RecurrentCell<S, K, R, P> {
  readonly variables: tf.Variable[];
  forwardFloat(x: T, init?: undefined, ranges?: R): { ys: T };
  qatConstants(state: S, previous?: K): K;
  forwardQat(xInt: T, k: K): { ys: T };
  exportCell(k: K): P;
}

/**
 * A bidirectional recurrent layer: a forward cell over the sequence and a backward cell over the
 * reversed sequence, outputs concatenated per step [B, T, 2H] (docs/integer-semantics.md §10). The
 * two directions have their own weights and share one quantization state (scales and PWL tables),
 * as in the paper.
 */
class QBidirectional<S, K, R, P> {
  constructor(
    readonly forward: RecurrentCell<S, K, R, P>,
    readonly backward: RecurrentCell<S, K, R, P>,
    readonly hiddenSize: number,
    private readonly disposeCell: (k: K) => void,
  ) {}

  /** Free a constants set this layer made. */
  disposeConstants(k: { fw: K; bw: K }): void {
    this.disposeCell(k.fw);
    this.disposeCell(k.bw);
  }

  get variables(): tf.Variable[] {
    return [...this.forward.variables, ...this.backward.variables];
  }

  forwardFloat(x: T, ranges?: R): T {
    const fw = this.forward.forwardFloat(x, undefined, ranges).ys;
    const bw = tf.reverse(this.backward.forwardFloat(tf.reverse(x, 1), undefined, ranges).ys, 1);
    return tf.concat([fw, bw], 2);
  }

  qatConstants(state: S, previous?: { fw: K; bw: K }): { fw: K; bw: K } {
    return { fw: this.forward.qatConstants(state, previous?.fw), bw: this.backward.qatConstants(state, previous?.bw) };
  }

  forwardQat(xInt: T, k: { fw: K; bw: K }): T {
    const fw = this.forward.forwardQat(xInt, k.fw).ys;
    const bw = tf.reverse(this.backward.forwardQat(tf.reverse(xInt, 1), k.bw).ys, 1);
    return tf.concat([fw, bw], 2);
  }

  exportCells(k: { fw: K; bw: K }): { forward: P; backward: P } {
    return { forward: this.forward.exportCell(k.fw), backward: this.backward.exportCell(k.bw) };
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** A bidirectional LSTM layer (MadNorm optional). */
export class QBiLstm extends QBidirectional<LstmQuantState, LstmQatConstants, LstmRanges, LstmCellParams> {
  declare readonly forward: QLstm;
  declare readonly backward: QLstm;

  constructor(inputSize: number, hiddenSize: number, seed: number, name = 'bilstm', madNorm = false) {
    super(new QLstm(inputSize, hiddenSize, seed, `${name}/fw`, madNorm), new QLstm(inputSize, hiddenSize, seed + 5, `${name}/bw`, madNorm), hiddenSize, disposeLstmQatConstants);
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
}

/** A bidirectional GRU layer (docs/integer-semantics.md §10b cells; no MadNorm). */
export class QBiGru extends QBidirectional<GruQuantState, GruQatConstants, GruRanges, GruCellParams> {
  declare readonly forward: QGru;
  declare readonly backward: QGru;

  constructor(inputSize: number, hiddenSize: number, seed: number, name = 'bigru') {
    super(new QGru(inputSize, hiddenSize, seed, `${name}/fw`), new QGru(inputSize, hiddenSize, seed + 5, `${name}/bw`), hiddenSize, (k) => disposeGruQatConstants(k));
  }

  /** One quantization state for both directions, from ranges observed over both. */
  static calibrate(inputScale: number, ranges: GruRanges): GruQuantState {
    return QGru.calibrate(inputScale, ranges);
  }
}

/**
 * Either bidirectional layer, through constants of either cell: a model holding one calls it with
 * the state and constants that layer made (its checkpoint's cell), so no call site branches on it.
 */
export type AnyBidirectional = QBidirectional<LstmQuantState | GruQuantState, LstmQatConstants | GruQatConstants, LstmRanges, LstmCellParams | GruCellParams>;
