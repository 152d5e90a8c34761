import { InvalidArgumentError } from 'commander';

/** An integer option value, e.g. `--in-bits 16`. */
export function parseInteger(value: string): number {
  const n = Number(value);
  if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer.');
  return n;
}

/** A sampler seed: an integer (a safe one, |n| < 2^53) or, if it is not one, the text itself. */
export function parseSeed(value: string): number | string {
  if (/^[-+]?\d+$/.test(value.trim())) return parseInteger(value);
  if (value.length === 0) throw new InvalidArgumentError('expected an integer or a non-empty text.');
  return value;
}

/** A non-negative number, e.g. `--tolerance 1.5`. */
export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number.');
  return n;
}

/** A positive scale: a decimal (`0.000244`), a power of two (`2^-12`, `2**-12`) or a ratio (`1/4096`). */
export function parseScale(value: string): number {
  const v = value.trim();
  let n: number;
  const pow = /^2\s*(?:\^|\*\*)\s*([-+]?\d+)$/.exec(v);
  const ratio = /^([0-9.eE+-]+)\s*\/\s*([0-9.eE+-]+)$/.exec(v);
  if (pow) n = 2 ** Number(pow[1]);
  else if (ratio) n = Number(ratio[1]) / Number(ratio[2]);
  else n = v === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive scale such as 2^-12, 1/4096 or 0.000244.');
  return n;
}

/** A scale as a person reads it: `2^-12` for powers of two, else a short decimal. */
export function formatScale(s: number): string {
  const e = Math.log2(s);
  return Number.isInteger(e) ? `2^${e}` : s.toPrecision(6);
}
