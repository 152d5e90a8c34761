import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanguageModel, loadModel } from '../src/index.js';
import { loadModelFile } from '../src/node.js';

// The shipped language model: int8 weights, int32 biases and multipliers, metadata with a vocabulary.
const PATH = join(__dirname, '..', '..', '..', 'models', 'lm-brown-small.onnx');
const IDS = [2, 15, 7, 99, 3];
const logits = (lm: LanguageModel) => IDS.map((id) => Array.from(lm.forward([id]).logits));

test('a model that borrows its bytes answers as one that copies them, and keeps views, not copies', () => {
  const bytes = new Uint8Array(readFileSync(PATH));
  const copied = loadModel(bytes);
  const borrowed = loadModel(bytes, { bytes: 'borrow' });
  expect(logits(new LanguageModel(borrowed))).toEqual(logits(new LanguageModel(copied)));
  const int8 = [...borrowed.initializers.values()].filter((t) => t.type === 'int8');
  expect(int8.length).toBeGreaterThan(0);
  for (const t of int8) expect(t.data.buffer).toBe(bytes.buffer);
  for (const t of copied.initializers.values()) expect(t.data.buffer).not.toBe(bytes.buffer);
  // loadModelFile borrows the bytes it read, which nothing else holds
  const fromFile = loadModelFile(PATH, { backends: ['core', 'reference'] });
  const fileBuffers = new Set([...fromFile.initializers.values()].filter((t) => t.type === 'int8').map((t) => t.data.buffer));
  expect(fileBuffers.size).toBe(1);
  expect(fileBuffers.has(bytes.buffer)).toBe(false);
  expect(logits(new LanguageModel(fromFile))).toEqual(logits(new LanguageModel(copied)));
});

test('a copying model (the default) does not see its bytes change after loading', () => {
  const bytes = new Uint8Array(readFileSync(PATH));
  const lm = new LanguageModel(loadModel(bytes, { backends: ['core', 'reference'] }));
  const before = logits(lm);
  bytes.fill(0);
  expect(logits(new LanguageModel(loadModel(new Uint8Array(readFileSync(PATH)), { backends: ['core', 'reference'] })))).toEqual(before);
  expect(logits(lm)).toEqual(before);
});

test('an unknown bytes mode is a typed error', () => {
  const bytes = new Uint8Array(readFileSync(PATH));
  expect(() => loadModel(bytes, { bytes: 'share' as 'copy' })).toThrow(expect.objectContaining({ code: 'ERR_OPTION', where: 'bytes' }));
});

test('loadModelFile reads into the buffer of the model disposed last; a live model keeps its own', () => {
  const expected = logits(new LanguageModel(loadModel(new Uint8Array(readFileSync(PATH)), { backends: ['core', 'reference'] })));
  const load = () => loadModelFile(PATH, { backends: ['core', 'reference'] });
  const bufferOf = (m: ReturnType<typeof load>) => [...m.initializers.values()].find((t) => t.type === 'int8')!.data.buffer;
  const a = load();
  const first = bufferOf(a);
  const b = load(); // a is alive: b must not read into its bytes
  expect(bufferOf(b)).not.toBe(first);
  a.dispose();
  expect(a.initializers.size).toBe(0); // nothing of a still shows the bytes the next load reuses
  const c = load();
  expect(bufferOf(c)).toBe(first);
  expect(logits(new LanguageModel(c))).toEqual(expected);
  expect(logits(new LanguageModel(b))).toEqual(expected);
  // a refused file gives the buffer back too, and a smaller file is read into a larger buffer
  c.dispose();
  const dir = mkdtempSync(join(tmpdir(), 'intrnn-'));
  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, readFileSync(PATH).subarray(0, 1000));
  expect(() => loadModelFile(bad)).toThrow(expect.objectContaining({ code: 'ERR_MODEL_DECODE' }));
  const d = load();
  expect(bufferOf(d)).toBe(first);
  expect(logits(new LanguageModel(d))).toEqual(expected);
  b.dispose();
  d.dispose();
  rmSync(dir, { recursive: true });
});
