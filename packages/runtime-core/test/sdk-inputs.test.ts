import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, isIntrnnError, type IModelProto } from '@intrnn/format';
import { LanguageModel, loadModel, Tagger, Transducer } from '../src/index.js';

// SDK arguments from a hostile or careless caller, on the shipped models: typed errors, never a
// TypeError, an endless search or a silent answer.
const MODELS = join(__dirname, '..', '..', '..', 'models');
const g2p = new Transducer(loadModel(new Uint8Array(readFileSync(join(MODELS, 'g2p-cmudict-small.onnx')))));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isIntrnnError(e)) return `${e.code} ${e.where}`;
    throw e;
  }
  return 'no error';
}

test('Transducer: null, a word with no letters, and maxLength 0, -1, NaN or Infinity are typed errors', () => {
  expect(codeOf(() => g2p.pronounce(null as unknown as string))).toBe('ERR_TOKEN word');
  expect(codeOf(() => g2p.pronounce("'"))).toBe('ERR_TOKEN word');
  for (const maxLength of [0, -1, NaN, Infinity, 2.5, 1e6]) expect([maxLength, codeOf(() => g2p.pronounce('cat', { maxLength }))]).toEqual([maxLength, 'ERR_OPTION maxLength']);
  expect(g2p.pronounce('cat', { maxLength: 12 }).phonemes.length).toBeGreaterThan(0);
});

test('Tagger: a string instead of words is a typed error', () => {
  const tagger = new Tagger(loadModel(new Uint8Array(readFileSync(join(MODELS, 'pos-brown-medium.onnx')))));
  expect(codeOf(() => tagger.tag('The jury said' as unknown as string[]))).toBe('ERR_TOKEN words');
  expect(codeOf(() => tagger.tag([]))).toBe('ERR_SHAPE words');
  expect(tagger.tag(['The', 'jury']).map((t) => t.tag)).toHaveLength(2);
  expect(tagger.tokenize('The jury said, "yes."')).toEqual(['The', 'jury', 'said', ',', '``', 'yes', '.', "''"]);
  expect(codeOf(() => tagger.tokenize(null as unknown as string))).toBe('ERR_TOKEN text');
});

describe('LanguageModel: prompts and seeds', () => {
  const lm = new LanguageModel(loadModel(new Uint8Array(readFileSync(join(MODELS, 'lm-brown-small.onnx')))));
  const known = (w: string) => lm.vocabulary.includes(w);

  test('a prompt is tokenized as Brown was: punctuation apart, known tokens whole', () => {
    expect(known('said') && known('.') && known('Mr.') && known("don't") && known('``')).toBe(true);
    expect(lm.tokenize('The jury said.')).toEqual(['The', 'jury', 'said', '.']);
    expect(lm.tokenize('"Mr. Smith, (the mayor) don\'t--"')).toEqual(['``', 'Mr.', 'Smith', ',', '(', 'the', 'mayor', ')', "don't", '--', "''"]);
    // before, `said.` was one unknown word
    expect(lm.encode('said.')).toEqual([lm.vocabulary.indexOf('said'), lm.vocabulary.indexOf('.')]);
  });

  test('seeds: any safe integer or a string; seeds equal modulo 2^32 differ; others are typed errors', () => {
    const text = (seed: number | string) => lm.generate('The jury said', { tokens: 12, seed }).join(' ');
    expect(text(2 ** 32 + 1)).not.toBe(text(1));
    expect(text(2 ** 40)).not.toBe(text(0));
    expect(text('alice')).toBe(text('alice'));
    expect(text('alice')).not.toBe(text('bob'));
    for (const seed of [1.5, NaN, Infinity, 2 ** 53, '']) expect([seed, codeOf(() => text(seed))]).toEqual([seed, 'ERR_OPTION seed']);
  });
});

test('a model without an output or input its SDK class needs is refused when the class is built', () => {
  const bytes = new Uint8Array(readFileSync(join(MODELS, 'lm-brown-small.onnx')));
  const without = (change: (m: IModelProto) => void) => {
    const m = decodeModel(bytes) as IModelProto;
    change(m);
    return loadModel(encodeModel(m));
  };
  const dropped = without((m) => m.graph!.output!.pop());
  expect(codeOf(() => new LanguageModel(dropped))).toMatch(/^ERR_MODEL_GRAPH output '.+'$/);
  const retyped = without((m) => (m.graph!.input![0].type!.tensorType!.elemType = 6));
  expect(codeOf(() => new LanguageModel(retyped))).toBe("ERR_MODEL_GRAPH input 'tokens'");
});
