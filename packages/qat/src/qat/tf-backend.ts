import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<void> | null = null;

/**
 * Select TensorFlow.js's wasm backend (SIMD, one thread in Node). The pure-JS cpu backend is 20-30x
 * slower for LSTM training and tfjs-node cannot install here (docs/ENVIRONMENT facts).
 */
export function useWasmBackend(): Promise<void> {
  ready ??= tf.setBackend('wasm').then((ok) => {
    if (!ok) throw new Error('TensorFlow.js wasm backend failed to initialize');
    return tf.ready();
  });
  return ready;
}

export { tf };
