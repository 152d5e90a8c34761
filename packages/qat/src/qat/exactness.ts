import { IntrnnError } from '@intrnn/format';
import { accumulatorBound, type GruCellParams, type LstmCellParams } from '@intrnn/runtime-core';

/** float32 represents every integer below 2^24 exactly: the bound QAT's integer forward relies on. */
const EXACT_LIMIT = 2 ** 24;

/** The integers of any model as its exportIntegers gives them (language model, tagger, G2P). */
export interface ExportedIntegers {
  layers?: (LstmCellParams | GruCellParams)[];
  forward?: LstmCellParams | GruCellParams;
  backward?: LstmCellParams | GruCellParams;
  encoderForward?: LstmCellParams;
  encoderBackward?: LstmCellParams;
  decoder?: LstmCellParams;
  outWeights: Int8Array;
  outBias: Int32Array;
}

/**
 * The precondition of QAT's exactness (docs/integer-semantics.md §10a): every accumulator bound
 * |b| + 128·Σ|w| of every matrix (LSTM input and recurrent weights, the output layer) below 2^24,
 * so that float32 sums of the integer products are exact in any order. Checked when QAT starts
 * and at convert time; a typed error names the first matrix that breaks it. Returns the worst bound.
 */
export function requireQatExactness(ints: ExportedIntegers, where: string): number {
  const named: [string, LstmCellParams | GruCellParams][] = [...(ints.layers ?? []).map((c, i): [string, LstmCellParams | GruCellParams] => ['biasX' in c ? `gru${i}` : `lstm${i}`, c])];
  for (const key of ['forward', 'backward', 'encoderForward', 'encoderBackward', 'decoder'] as const) {
    const c = ints[key];
    if (c) named.push([key, c]);
  }
  const bounds: [string, number][] = [];
  for (const [name, c] of named) {
    if ('biasX' in c) {
      // a GRU: 3H rows, a bias on each product
      bounds.push([`${name}.W`, accumulatorBound(c.wx, 3 * c.hiddenSize, c.inputSize, c.biasX)], [`${name}.R`, accumulatorBound(c.wh, 3 * c.hiddenSize, c.hiddenSize, c.biasH)]);
      continue;
    }
    const H4 = 4 * c.hiddenSize;
    bounds.push([`${name}.W`, accumulatorBound(c.wx, H4, c.inputSize, c.bias)], [`${name}.R`, accumulatorBound(c.wh, H4, c.hiddenSize)]);
  }
  const rows = ints.outBias.length;
  bounds.push(['output.W', accumulatorBound(ints.outWeights, rows, ints.outWeights.length / rows, ints.outBias)]);
  for (const [name, bound] of bounds) {
    if (bound >= EXACT_LIMIT) {
      throw new IntrnnError(
        'ERR_QAT_BOUND',
        `${where}.${name}`,
        `accumulator bound ${bound} reaches 2^24: the float32 QAT forward would not compute the runtime's integers exactly (docs/integer-semantics.md §10a); use smaller weights or layers`,
      );
    }
  }
  return Math.max(...bounds.map(([, b]) => b));
}
