import { IntrnnError } from '@intrnn/format';

/**
 * The work one node may do in one call, checked before it allocates or computes, alike on every
 * backend: a small file or feed cannot demand gigabytes or minutes (docs/onnx-format.md, "Limits").
 * 2^27 output elements is 512 MiB of int32 logits, e.g. 13,421 positions of a 10,000-word LM in one
 * call; 2^36 multiply-accumulates is about a minute in runtime-core and a second in runtime-native.
 */
export const LIMITS = { outputElements: 2 ** 27, macs: 2 ** 36 } as const;

/** Refuse a call whose output or multiply-accumulate count exceeds {@link LIMITS}; `where` names the node. */
export function checkCost(where: string, outputElements: number, macs = 0): void {
  if (!(outputElements <= LIMITS.outputElements))
    throw new IntrnnError('ERR_LIMIT', where, `would produce ${outputElements} values in one call; the limit is ${LIMITS.outputElements} (split the input)`);
  if (!(macs <= LIMITS.macs)) throw new IntrnnError('ERR_LIMIT', where, `would take ${macs} multiply-accumulates in one call; the limit is ${LIMITS.macs} (split the input)`);
}
