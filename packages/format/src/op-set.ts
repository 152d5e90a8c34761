import { INTRNN_DOMAIN, OP_SIGNATURES, type IntrnnOpName } from './op-signatures.js';

export { INTRNN_DOMAIN };

/** Version of the `ai.intrnn` op set; bumped on any change of an op's semantics. */
export const INTRNN_OPSET_VERSION = 1;

/**
 * Names of the ops in the `ai.intrnn` domain, version 1 (docs/onnx-format.md; their typed signatures
 * are {@link OP_SIGNATURES}). Requantization, PWL activations and MadNorm are parts of IntLSTM (its
 * tables and optional MadNorm inputs), the integer softmax part of IntAttention: the three tasks
 * need no standalone form of them. Their integer semantics are defined in docs/integer-semantics.md.
 */
export const IntrnnOp = { IntLstm: 'IntLSTM', IntGru: 'IntGRU', IntDense: 'IntDense', IntAttention: 'IntAttention' } as const satisfies Record<string, IntrnnOpName>;

/** Every ai.intrnn op name. */
export const INTRNN_OPS = Object.keys(OP_SIGNATURES) as IntrnnOpName[];

export type { IntrnnOpName };
