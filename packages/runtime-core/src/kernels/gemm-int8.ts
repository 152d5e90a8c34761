import { checkInt32Accumulator, checkLength } from './check.js';

/**
 * Reference int8 GEMM with int32 accumulation (docs/integer-semantics.md §6):
 * `Y[m, i] = bias[i] + Σ_k W[i, k] · X[m, k]` for X [batch, cols] and W [rows, cols], both row-major.
 * Returns Y row-major [batch, rows].
 */
export function gemmInt8(x: Int8Array, batch: number, w: Int8Array, rows: number, cols: number, bias?: Int32Array): Int32Array {
  checkLength('gemmInt8.x', x, batch * cols);
  checkLength('gemmInt8.w', w, rows * cols);
  if (bias) checkLength('gemmInt8.bias', bias, rows);
  const out = new Int32Array(batch * rows);
  for (let m = 0; m < batch; m++) {
    for (let i = 0; i < rows; i++) {
      let acc = bias ? bias[i] : 0;
      for (let k = 0; k < cols; k++) acc += w[i * cols + k] * x[m * cols + k];
      checkInt32Accumulator(`gemmInt8.y[${m},${i}]`, acc);
      out[m * rows + i] = acc;
    }
  }
  return out;
}
