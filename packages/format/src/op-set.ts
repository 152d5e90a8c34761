/** The ONNX domain of intrnn's fused integer operators. */
export const INTRNN_DOMAIN = 'ai.intrnn';

/** Version of the `ai.intrnn` op set; bumped on any change of an op's semantics. */
export const INTRNN_OPSET_VERSION = 1;

/**
 * Names of the ops in the `ai.intrnn` domain. Their integer semantics are defined in
 * docs/integer-semantics.md; the reference kernels in `@intrnn/runtime-core` implement them.
 */
export const IntrnnOp = {
  Requantize: 'Requantize',
  Pwl: 'Pwl',
  MadNorm: 'MadNorm',
  IntSoftmax: 'IntSoftmax',
  IntLstm: 'IntLSTM',
  IntDense: 'IntDense',
  IntAttention: 'IntAttention',
} as const;

/** One of the {@link IntrnnOp} names. */
export type IntrnnOpName = (typeof IntrnnOp)[keyof typeof IntrnnOp];
