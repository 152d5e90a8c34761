/**
 * Independent oracle for docs/integer-semantics.md, in exact BigInt arithmetic.
 *
 * Exact: every function here computes with BigInt (no float64 rounding anywhere) and is written
 * from the document, not from runtime-core's code, with different formulas on purpose:
 * rounding is floor((2|a| + |b|) / (2|b|)), multipliers come from the exact bit pattern of the
 * double, overflow is detected on unbounded integers. Used only by tests, as the expected values.
 */

/** round(a / b), half away from zero, in exact integers. */
export function oRoundDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('oracle: division by zero');
  const neg = a < 0n !== b < 0n;
  const aa = a < 0n ? -a : a;
  const bb = b < 0n ? -b : b;
  const q = (2n * aa + bb) / (2n * bb); // BigInt division truncates; operands are non-negative
  return neg ? -q : q;
}

export function oShift(x: bigint, n: number): bigint {
  return oRoundDiv(x, 1n << BigInt(n));
}

export function oSat(x: bigint, bits: number): bigint {
  const hi = (1n << BigInt(bits - 1)) - 1n;
  const lo = -(1n << BigInt(bits - 1));
  return x > hi ? hi : x < lo ? lo : x;
}

/** A positive finite double as exact mantissa · 2^exponent. */
export function oDyadic(r: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, r);
  const bits = view.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (e === 0) return { mant: frac, exp: -1074 };
  return { mant: frac | (1n << 52n), exp: e - 1075 };
}

/** mant · 2^exp · 2^shift compared with 2^k: -1, 0, 1. */
function cmpPow(mant: bigint, exp: number, k: number): number {
  // compare mant · 2^(exp) with 2^k  <=>  mant with 2^(k - exp), or mant · 2^(exp - k) with 1
  const d = k - exp;
  const lhs = d >= 0 ? mant : mant << BigInt(-d);
  const rhs = d >= 0 ? 1n << BigInt(d) : 1n;
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** The fixed-point multiplier of §4 from the ratio's exact value. */
export function oQuantizeMultiplier(r: number): { multiplier: bigint; shift: number } {
  const { mant, exp } = oDyadic(r);
  // find n with 2^20 <= r·2^n < 2^21, i.e. 2^(20-n) <= r < 2^(21-n)
  let n = 0;
  while (cmpPow(mant, exp, 20 - n) < 0) n++;
  while (cmpPow(mant, exp, 21 - n) >= 0) n--;
  // M = round(mant · 2^(exp + n))
  const e = exp + n;
  let m = e >= 0 ? mant << BigInt(e) : oRoundDiv(mant, 1n << BigInt(-e));
  if (m === 1n << 21n) {
    m = 1n << 20n;
    n -= 1;
  }
  return { multiplier: m, shift: n };
}

export function oRequantize(x: bigint, m: bigint, n: number, bits: number): bigint {
  return oSat(oShift(x * m, n), bits);
}

export function oGemv(w: ArrayLike<number>, rows: number, cols: number, x: ArrayLike<number>, bias?: ArrayLike<number>): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < rows; i++) {
    let acc = bias ? BigInt(bias[i]) : 0n;
    for (let k = 0; k < cols; k++) acc += BigInt(w[i * cols + k]) * BigInt(x[k]);
    if (acc > 2147483647n || acc < -2147483648n) throw new Error('oracle: int32 overflow');
    out.push(acc);
  }
  return out;
}

export interface OPwl {
  knots: number[];
  values: number[];
  slopes: number[];
  fracBits: number;
  outBits: number;
  symmetry: 'none' | 'odd' | 'point';
  center: number;
}

export function oPwl(t: OPwl, q: bigint): bigint {
  if (t.symmetry !== 'none' && q < 0n) return oSat(BigInt(t.center) - oPwl(t, -q), t.outBits);
  const k = t.knots.map(BigInt);
  const last = k.length - 1;
  if (q <= k[0]) return BigInt(t.values[0]);
  if (q >= k[last]) return BigInt(t.values[last]);
  // binary search (the reference scans linearly)
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (k[mid] <= q) lo = mid;
    else hi = mid;
  }
  return oSat(BigInt(t.values[lo]) + oShift((q - k[lo]) * BigInt(t.slopes[lo]), t.fracBits), t.outBits);
}

/** Slope of a piece, §7: round((y1 - y0) · 2^F / (k1 - k0)). */
export function oSlope(k0: number, y0: number, k1: number, y1: number, fracBits: number): bigint {
  return oRoundDiv((BigInt(y1) - BigInt(y0)) << BigInt(fracBits), BigInt(k1) - BigInt(k0));
}

export interface OMadNorm {
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  normFracBits: number;
  multiplier: number;
  shift: number;
  outBits: number;
}

export function oMadNorm(x: ArrayLike<number>, p: OMadNorm): bigint[] {
  const n = BigInt(x.length);
  const xs = Array.from(x, BigInt);
  const mu = oRoundDiv(
    xs.reduce((a, b) => a + b, 0n),
    n,
  );
  const d = xs.map((v) => v - mu);
  let mad = oRoundDiv(
    d.reduce((a, b) => a + (b < 0n ? -b : b), 0n),
    n,
  );
  if (mad < 1n) mad = 1n;
  const inv = oRoundDiv(1n << 23n, mad);
  return d.map((dj, j) => {
    const norm = oSat(oShift(dj * inv, 23 - p.normFracBits), 16);
    const scaled = oSat(oShift(oShift(BigInt(p.gamma[j]) * norm, p.normFracBits) * BigInt(p.multiplier), p.shift), 24);
    return oSat(scaled + BigInt(p.beta[j]), p.outBits);
  });
}

export function oSoftmax(x: ArrayLike<number>, exp: OPwl, fracBits: number): bigint[] {
  const xs = Array.from(x, BigInt);
  const max = xs.reduce((a, b) => (b > a ? b : a));
  const e = xs.map((v) => oPwl(exp, v - max));
  const s = e.reduce((a, b) => a + b, 0n);
  return e.map((v) => oRoundDiv(v << BigInt(fracBits), s));
}

export interface OLstm {
  inputSize: number;
  hiddenSize: number;
  wx: ArrayLike<number>;
  wh: ArrayLike<number>;
  bias: ArrayLike<number>;
  multX: ArrayLike<number>;
  shiftX: ArrayLike<number>;
  multH: ArrayLike<number>;
  shiftH: ArrayLike<number>;
  norm?: readonly OMadNorm[];
  sigmoid: OPwl;
  tanhGate: OPwl;
  tanhCell: OPwl;
  cellFracBits: number;
  multOut: number;
  shiftOut: number;
}

export function oLstmStep(p: OLstm, x: ArrayLike<number>, h: ArrayLike<number>, c: ArrayLike<number>): { h: bigint[]; c: bigint[] } {
  const H = p.hiddenSize;
  const ax = oGemv(p.wx, 4 * H, p.inputSize, x, p.bias);
  const ah = oGemv(p.wh, 4 * H, H, h);
  let z = ax.map((a, r) => oSat(oSat(oShift(a * BigInt(p.multX[r]), p.shiftX[r]), 24) + oSat(oShift(ah[r] * BigInt(p.multH[r]), p.shiftH[r]), 24), 16));
  if (p.norm) {
    const norm = p.norm;
    z = [0, 1, 2, 3].flatMap((g) => oMadNorm(z.slice(g * H, (g + 1) * H).map(Number), norm[g]));
  }
  const hs: bigint[] = [];
  const cs: bigint[] = [];
  for (let u = 0; u < H; u++) {
    const i = oPwl(p.sigmoid, z[u]);
    const f = oPwl(p.sigmoid, z[H + u]);
    const g = oPwl(p.tanhGate, z[2 * H + u]);
    const o = oPwl(p.sigmoid, z[3 * H + u]);
    const cNew = oSat(oShift(f * BigInt(c[u]), 15) + oShift(i * g, 30 - p.cellFracBits), 16);
    cs.push(cNew);
    hs.push(oRequantize(oShift(o * oPwl(p.tanhCell, cNew), 15), BigInt(p.multOut), p.shiftOut, 8));
  }
  return { h: hs, c: cs };
}

export interface OGru {
  inputSize: number;
  hiddenSize: number;
  wx: ArrayLike<number>;
  wh: ArrayLike<number>;
  biasX: ArrayLike<number>;
  biasH: ArrayLike<number>;
  multX: ArrayLike<number>;
  shiftX: ArrayLike<number>;
  multH: ArrayLike<number>;
  shiftH: ArrayLike<number>;
  sigmoid: OPwl;
  tanhGate: OPwl;
  multPrev: number;
  shiftPrev: number;
  multOut: number;
  shiftOut: number;
}

/** docs/integer-semantics.md §10b in BigInt, step by step. */
export function oGruStep(p: OGru, x: ArrayLike<number>, h: ArrayLike<number>): bigint[] {
  const H = p.hiddenSize;
  const ax = oGemv(p.wx, 3 * H, p.inputSize, x, p.biasX);
  const ah = oGemv(p.wh, 3 * H, H, h, p.biasH);
  const gx = ax.map((a, k) => oSat(oShift(a * BigInt(p.multX[k]), p.shiftX[k]), 24));
  const gh = ah.map((a, k) => oSat(oShift(a * BigInt(p.multH[k]), p.shiftH[k]), 24));
  const out: bigint[] = [];
  for (let j = 0; j < H; j++) {
    const z = oPwl(p.sigmoid, oSat(gx[j] + gh[j], 16));
    const r = oPwl(p.sigmoid, oSat(gx[H + j] + gh[H + j], 16));
    const n = oPwl(p.tanhGate, oSat(gx[2 * H + j] + oShift(gh[2 * H + j] * r, 15), 16));
    const prev = oSat(oShift(BigInt(h[j]) * BigInt(p.multPrev), p.shiftPrev), 16);
    const v = n + oShift(z * (prev - n), 15);
    out.push(oRequantize(v, BigInt(p.multOut), p.shiftOut, 8));
  }
  return out;
}
