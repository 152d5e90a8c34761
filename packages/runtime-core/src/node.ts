/**
 * `@intrnn/runtime-core/node`: file helpers for Node. Kept apart from the main entry, which
 * imports nothing Node-only so that browser bundles work.
 * @packageDocumentation
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { IntrnnError } from '@intrnn/format';
import { loadModel, onDispose, type IntrnnModel, type LoadOptions } from './executor/model.js';

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

/**
 * The file buffer of the last disposed model from {@link loadModelFile}, which the next load reads
 * into. Why: every read is a new ArrayBuffer of the whole file outside the JS heap, and V8 frees
 * dead ones only when its external-memory heuristic fires; an app reloading a 3.6 MB model held
 * about 60 MB of dead file buffers at a time (docs/reliability.md). One slot: reloading one model
 * is the case; several models alive at once keep their own buffers.
 */
let spare: Uint8Array | null = null;

function fail(path: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  throw new IntrnnError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE', path, code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`);
}

/** A file's bytes, read into the spare buffer when it is large enough. */
function readIntoSpare(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    fail(path, e);
  }
  try {
    const size = fstatSync(fd).size;
    let buf = spare && spare.byteLength >= size ? spare : null;
    spare = null;
    if (!buf) {
      const b = Buffer.allocUnsafeSlow(size); // filled below; its own ArrayBuffer, so borrowed views align as in readFileSync's
      buf = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    let n = 0;
    for (let r = 1; n < size && r > 0; n += r) r = readSync(fd, buf, n, size - n, n);
    return buf.subarray(0, n); // a file that shrank while read is read as it ends
  } catch (e) {
    fail(path, e);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load and plan a model from an `.onnx` file. Its weights are views into the bytes read (nothing
 * else holds them); after `dispose()` the next `loadModelFile` reuses those bytes.
 */
export function loadModelFile(path: string, options?: LoadOptions): IntrnnModel {
  const bytes = readIntoSpare(path);
  const giveBack = () => {
    if (!spare || spare.buffer.byteLength < bytes.buffer.byteLength) spare = new Uint8Array(bytes.buffer);
  };
  let model: IntrnnModel;
  try {
    model = loadModel(bytes, { bytes: 'borrow', ...options });
  } catch (e) {
    giveBack(); // a refused file holds nothing
    throw e;
  }
  if (options?.bytes === 'copy') giveBack();
  else onDispose(model, giveBack);
  return model;
}
