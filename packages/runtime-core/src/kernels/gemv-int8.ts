import { checkInt32Accumulator, checkLength } from './check.js';

/**
 * Worst-case |accumulator| of an int8 GEMV over every int8 input (|x| ≤ 128):
 * max over rows of |b_r| + 128 · Σ_j |w_rj| (docs/integer-semantics.md §6). The overflow proof.
 */
export function accumulatorBound(w: Int8Array, rows: number, cols: number, bias?: ArrayLike<number>): number {
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    let s = bias ? Math.abs(bias[r]) : 0;
    for (let j = 0; j < cols; j++) s += 128 * Math.abs(w[r * cols + j]);
    if (s > worst) worst = s;
  }
  return worst;
}

/**
 * Reference int8 GEMV with int32 accumulation (docs/integer-semantics.md §6):
 * `acc[i] = bias[i] + Σ_k w[i·cols + k] · x[k]`, W row-major [rows, cols].
 */
export function gemvInt8(w: Int8Array, rows: number, cols: number, x: Int8Array, bias?: Int32Array): Int32Array {
  checkLength('gemvInt8.w', w, rows * cols);
  checkLength('gemvInt8.x', x, cols);
  if (bias) checkLength('gemvInt8.bias', bias, rows);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let acc = bias ? bias[i] : 0;
    for (let k = 0; k < cols; k++) acc += w[i * cols + k] * x[k];
    checkInt32Accumulator(`gemvInt8.row${i}`, acc);
    out[i] = acc;
  }
  return out;
}
