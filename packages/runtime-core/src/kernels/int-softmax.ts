import { IntrnnError, type PwlTable } from '@intrnn/format';
import { roundingDivide } from '../arithmetic/rounding-divide.js';
import { pwlEval } from './pwl-eval.js';

/**
 * Reference integer softmax (docs/integer-semantics.md §9): subtract the maximum, PWL exp,
 * integer sum, and weights a_j = round(E_j · 2^P / ΣE) at scale 2^-P (P = 8 by default, so that
 * E_j · 2^P < 2^24 for int16 E and the division is exact in float32 as well).
 */
export function intSoftmax(x: ArrayLike<number>, expTable: PwlTable, outFracBits = 8): Int32Array {
  const n = x.length;
  if (n < 1) throw new IntrnnError('ERR_SHAPE', 'intSoftmax.x', 'row is empty');
  let max = x[0];
  for (let j = 1; j < n; j++) if (x[j] > max) max = x[j];
  const e = new Array<number>(n);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    e[j] = pwlEval(expTable, x[j] - max);
    if (e[j] < 0) throw new IntrnnError('ERR_PWL_TABLE', 'intSoftmax.expTable', `exp table gives ${e[j]} < 0`);
    sum += e[j];
  }
  if (sum === 0) throw new IntrnnError('ERR_PWL_TABLE', 'intSoftmax.expTable', 'exp table gives 0 at input 0');
  const scale = 2 ** outFracBits;
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) out[j] = roundingDivide(e[j] * scale, sum);
  return out;
}
