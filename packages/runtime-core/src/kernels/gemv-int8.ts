import { checkInt32Accumulator, checkLength } from './check.js';

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
