/**
 * `@intrnn/runtime-core/node`: file helpers for Node. Kept apart from the main entry, which
 * imports nothing Node-only so that browser bundles work.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { IntrnnError } from '@intrnn/format';
import { loadModel, type IntrnnModel, type LoadOptions } from './executor/model.js';

/** Read a file's bytes; a missing or unreadable file is a typed error naming the path. */
export function readModelBytes(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // a plain Uint8Array view, not a copy
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IntrnnError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE', path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`);
  }
}

/** Load and plan a model from an `.onnx` file. Its weights are views into the bytes read (nothing else holds them). */
export function loadModelFile(path: string, options?: LoadOptions): IntrnnModel {
  return loadModel(readModelBytes(path), { bytes: 'borrow', ...options });
}
