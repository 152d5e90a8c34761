/** The ONNX domain of intrnn's fused integer operators. */
export const INTRNN_DOMAIN = 'ai.intrnn';

/** Version of the `ai.intrnn` op set; bumped on any change of an op's semantics. */
export const INTRNN_OPSET_VERSION = 1;

/**
 * Names of the ops in the `ai.intrnn` domain, version 1 (docs/onnx-format.md). Requantization,
 * PWL activations and MadNorm are parts of IntLSTM (its tables and optional MadNorm inputs), the
 * integer softmax part of IntAttention: the three tasks need no standalone form of them. Their
 * integer semantics are defined in docs/integer-semantics.md.
 */
export const IntrnnOp = {
  IntLstm: 'IntLSTM',
  IntDense: 'IntDense',
  IntAttention: 'IntAttention',
} as const;

/** One of the {@link IntrnnOp} names. */
export type IntrnnOpName = (typeof IntrnnOp)[keyof typeof IntrnnOp];
