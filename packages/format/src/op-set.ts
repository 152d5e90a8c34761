import { INT4_WEIGHTS_SINCE, INTRNN_DOMAIN, OP_SIGNATURES, type IntrnnOpName } from './op-signatures.js';

export { INTRNN_DOMAIN };

/**
 * The latest version of the `ai.intrnn` op set, bumped when an op is added or changes meaning.
 * Version 2 added IntGRU; version 3 int4 weight matrices (W, R of IntLSTM and IntGRU, W of IntDense) and IntDense's per-row requantization. Runtimes run every version from 1 to this one; a file imports the lowest
 * version that has all its ops ({@link opsetVersionFor}), so files without new ops stay readable
 * by older runtimes.
 */
export const INTRNN_OPSET_VERSION = 3;

/** The ai.intrnn op set version a file using these ops imports: the latest `since` among them (1 for none), at least 3 with `version3Forms`: int4 weights or a requantizing IntDense. */
export function opsetVersionFor(ops: Iterable<string>, version3Forms = false): number {
  let version = version3Forms ? INT4_WEIGHTS_SINCE : 1;
  for (const op of ops) {
    const sig = (OP_SIGNATURES as Record<string, { since: number }>)[op];
    if (!sig) throw new RangeError(`${op} is not an ai.intrnn op`);
    version = Math.max(version, sig.since);
  }
  return version;
}

/**
 * Names of the ops in the `ai.intrnn` domain (docs/onnx-format.md; their typed signatures
 * are {@link OP_SIGNATURES}). Requantization, PWL activations and MadNorm are parts of IntLSTM (its
 * tables and optional MadNorm inputs), the integer softmax part of IntAttention: the three tasks
 * need no standalone form of them. Their integer semantics are defined in docs/integer-semantics.md.
 */
export const IntrnnOp = { IntLstm: 'IntLSTM', IntGru: 'IntGRU', IntDense: 'IntDense', IntAttention: 'IntAttention' } as const satisfies Record<string, IntrnnOpName>;

/** Every ai.intrnn op name. */
export const INTRNN_OPS = Object.keys(OP_SIGNATURES) as IntrnnOpName[];

export type { IntrnnOpName };
