import type { PwlTable } from '@intrnn/format';
import { activationSpec, type ActivationName } from '../pwl/activations.js';
import { greedyPwl } from '../pwl/knot-search.js';

const cache = new Map<string, PwlTable>();

/**
 * The int16-input, int16-output (scale 2^-15) PWL table of an activation at an input scale, built
 * by the greedy knot search at `toleranceLsb` and cached (a search takes ~100 ms).
 */
export function activationTable(fn: ActivationName, inScale: number, toleranceLsb = 1): PwlTable {
  const key = `${fn}:${inScale}:${toleranceLsb}`;
  let t = cache.get(key);
  if (!t) {
    t = greedyPwl(activationSpec(fn, { inScale, outScale: 2 ** -15 }), toleranceLsb).table;
    cache.set(key, t);
  }
  return t;
}
