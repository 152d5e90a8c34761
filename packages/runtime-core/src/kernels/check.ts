import { IntrnnError } from '@intrnn/format';

/** Throw a typed shape error unless `array` has exactly `expected` elements. */
export function checkLength(where: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) {
    throw new IntrnnError('ERR_SHAPE', where, `has ${array.length} elements, expected ${expected}`);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Throw unless an accumulator value fits int32 (docs/integer-semantics.md §6). */
export function checkInt32Accumulator(where: string, acc: number): void {
  if (acc < INT32_MIN || acc > INT32_MAX) {
    throw new IntrnnError('ERR_ACCUMULATOR_OVERFLOW', where, `accumulator ${acc} leaves int32; the model's overflow bound is broken`);
  }
}
