import { tf } from './tf-backend.js';

type T = tf.Tensor;

/**
 * matMul whose gradient transposes explicitly: autodiff's own uses matMul with transpose flags,
 * about 13x slower on the wasm backend (ENVIRONMENT.md). Same values and gradients.
 */
export const mm = tf.customGrad(((a: T, b: T, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: T, [sa, sb]: T[]) => [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: T, b: T) => T;

/**
 * Embedding lookup whose gradient is a scatterND (which sums duplicate ids): tf.gather's gradient
 * needs UnsortedSegmentSum, which the wasm backend lacks.
 */
export function embeddingLookup(table: T, ids: T): T {
  const [vocab, dim] = table.shape;
  const op = tf.customGrad(((t: T, save: tf.GradSaveFunc) => {
    save([ids]);
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: T, [savedIds]: T[]) => tf.scatterND(savedIds.reshape([-1, 1]), dy.reshape([-1, dim]), [vocab, dim]),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: T) => T;
  return op(table);
}
