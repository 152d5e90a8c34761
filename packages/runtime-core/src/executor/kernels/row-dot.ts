import { packInt4 } from '@intrnn/format';

/** The dot product of weight row r with x: the inner loop of the fast twins' matrix products. */
export type RowDot = (r: number, x: ArrayLike<number>) => number;

/**
 * Row dot products over a [rows, cols] weight matrix held at its width: int8 as it is, int4 packed
 * two per byte with each row padded to whole bytes (so every row starts on a byte: rows of odd
 * length would otherwise start mid-byte), half the memory read per product. The int8 values the
 * loader checked are not kept for int4: the closure holds only the packed rows.
 */
export function rowDot(values: Int8Array, rows: number, cols: number, bits: 4 | 8 = 8): RowDot {
  if (bits === 8) {
    return (r, x) => {
      let acc = 0;
      const base = r * cols;
      for (let k = 0; k < cols; k++) acc += values[base + k] * x[k];
      return acc;
    };
  }
  const stride = (cols + 1) >> 1;
  const packed = new Uint8Array(rows * stride);
  for (let r = 0; r < rows; r++) packed.set(packInt4(values.subarray(r * cols, (r + 1) * cols)), r * stride);
  const pairs = cols >> 1;
  return (r, x) => {
    let acc = 0;
    const base = r * stride;
    for (let j = 0; j < pairs; j++) {
      const b = packed[base + j];
      acc += ((b << 28) >> 28) * x[2 * j] + ((b << 24) >> 28) * x[2 * j + 1]; // low nibble, high nibble, sign-extended
    }
    if (cols & 1) acc += ((packed[base + pairs] << 28) >> 28) * x[cols - 1];
    return acc;
  };
}
