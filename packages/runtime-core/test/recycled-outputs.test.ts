import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateNames, type Tensor } from '@intrnn/format';
import { LanguageModel, loadModel } from '../src/index.js';

// The shipped language model, streamed token by token with its state carried, as the web app runs it.
const bytes = new Uint8Array(readFileSync(join(__dirname, '..', '..', '..', 'models', 'lm-brown-small.onnx')));
const IDS = [2, 15, 7, 99, 3, 250, 12, 5, 8, 40, 1, 77, 6, 9];

function stream(outputs: 'fresh' | 'recycled'): { logits: Int32Array[]; kept: Record<string, Tensor>[] } {
  const model = loadModel(bytes, { outputs });
  const layers = model.metadata.layers.map((l) => ({ ...stateNames(l.node), H: l.hiddenSize }));
  let state: Record<string, Tensor> = {};
  for (const l of layers) {
    state[l.h0] = { type: 'int8', dims: [1, l.H], data: new Int8Array(l.H) };
    state[l.c0] = { type: 'int16', dims: [1, l.H], data: new Int16Array(l.H) };
  }
  const logits: Int32Array[] = [];
  const kept: Record<string, Tensor>[] = [];
  for (const id of IDS) {
    const out = model.run({ tokens: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(BigInt(id)) }, ...state });
    logits.push((out.logits.data as Int32Array).slice()); // read at once, as a streaming caller does
    kept.push(out);
    const next: Record<string, Tensor> = {};
    for (const l of layers) [next[l.h0], next[l.c0]] = [out[l.hT], out[l.cT]];
    state = next;
  }
  return { logits, kept };
}

test("recycled outputs give the same integers as fresh ones, the state fed from one run's outputs to the next", () => {
  const fresh = stream('fresh');
  const recycled = stream('recycled');
  expect(recycled.logits.map((l) => Array.from(l))).toEqual(fresh.logits.map((l) => Array.from(l)));
});

test("a recycled run's outputs stay valid until the run after next, and are then overwritten", () => {
  const model = loadModel(bytes, { outputs: 'recycled' });
  const lm = new LanguageModel(model);
  lm.forward([1]); // the first two runs size the two slabs
  lm.forward([1]);
  const a = lm.forward([2]);
  const want = Array.from(a.logits);
  lm.forward([15]); // the other slab: a's outputs intact
  expect(Array.from(a.logits)).toEqual(want);
  lm.forward([7]); // a's slab again
  expect(Array.from(a.logits)).not.toEqual(want);
  // fresh (the default) never overwrites
  const f = new LanguageModel(loadModel(bytes));
  const b = f.forward([2]);
  f.forward([15]);
  f.forward([7]);
  expect(Array.from(b.logits)).toEqual(want);
});

test('an unknown outputs mode is a typed error', () => {
  expect(() => loadModel(bytes, { outputs: 'shared' as 'fresh' })).toThrow(expect.objectContaining({ code: 'ERR_OPTION', where: 'outputs' }));
});
