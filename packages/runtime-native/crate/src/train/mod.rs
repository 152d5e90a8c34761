//! Float32 kernels for training (not inference): the matrix products, the LSTM over a sequence
//! (forward and backward, float or the exact integer QAT forward with its straight-through
//! backward) and the output layer fused with softmax cross-entropy. TensorFlow.js wraps them as
//! ops with custom gradients (packages/qat/src/qat/native-ops.ts).

pub mod lstm_seq;
pub mod scratch;
pub mod sgemm;
pub mod softmax_xent;
