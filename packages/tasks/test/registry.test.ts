import { G2P_PRESETS, LM_PRESETS, POS_PRESETS } from '@intrnn/qat';
import { TASKS, taskEntry } from '../src/index.js';

describe('the task registry', () => {
  test("each entry's presets are its trainer's presets", () => {
    expect([...TASKS['lm-brown'].presets].sort()).toEqual(Object.keys(LM_PRESETS).sort());
    expect([...TASKS['pos-brown'].presets].sort()).toEqual(Object.keys(POS_PRESETS).sort());
    expect([...TASKS['g2p-cmudict'].presets].sort()).toEqual(Object.keys(G2P_PRESETS).sort());
  });

  test('each entry is keyed by its name and its data fits its kind', () => {
    for (const [name, entry] of Object.entries(TASKS)) {
      expect(entry.name).toBe(name);
      expect(entry.data.kind).toBe(entry.kind);
      expect(entry.demoSlice).toBeGreaterThan(0);
      expect(entry.latencyIds.length).toBeGreaterThan(0);
    }
  });

  test('an unknown task is a typed error that lists the known ones, whatever its name', () => {
    for (const name of ['ner-conll', 'constructor', '__proto__']) expect(() => taskEntry(name, '--task')).toThrow(/--task: '.*' is not a known task \(one of lm-brown, pos-brown, g2p-cmudict\)/);
  });

  test('evaluation data comes from the npm packages, without the training stack', () => {
    const lm = TASKS['lm-brown'].data;
    if (lm.kind !== 'language-model') throw new Error('kind');
    expect(() => lm.tokens('test', ['not', 'the', 'brown', 'vocabulary'])).toThrow(/differs from the Brown vocabulary/);
    const pos = TASKS['pos-brown'].data;
    if (pos.kind !== 'tagger') throw new Error('kind');
    expect(pos.sentences('valid').length).toBeGreaterThan(4000);
    const g2p = TASKS['g2p-cmudict'].data;
    if (g2p.kind !== 'transducer') throw new Error('kind');
    const refs = g2p.references('test', 5);
    expect(refs.size).toBe(5);
    const predicted = new Map([...refs].map(([w, r]) => [w, r[0]]));
    expect(g2p.score(predicted, refs)).toMatchObject({ per: 0, wer: 0, words: 5 });
  });
});
