import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIntrnnError } from '@intrnn/format';
import { loadModel, Transducer } from '@intrnn/runtime-core';
import { loadAddon, registerNativeKernels } from '../src/index.js';

const ROOT = join(__dirname, '..', '..', '..');
const G2P = join(ROOT, 'models', 'g2p-cmudict-small.onnx');
const describeNative = loadAddon().addon ? describe : describe.skip;

describeNative('dispose() frees native kernels at once', () => {
  beforeAll(() => registerNativeKernels());

  test('a disposed model refuses to run with a typed error; disposing twice is harmless', () => {
    const g2p = new Transducer(loadModel(readFileSync(G2P)));
    expect(Object.values(g2p.model.backends)).toContain('native');
    expect(g2p.pronounce('cat').phonemes.length).toBeGreaterThan(0);
    g2p.dispose();
    g2p.dispose();
    expect(g2p.model.isDisposed).toBe(true);
    let code = '';
    try {
      g2p.pronounce('cat');
    } catch (e) {
      code = isIntrnnError(e) ? e.code : String(e);
    }
    expect(code).toBe('ERR_DISPOSED');
  });

  test('loads and disposals in a synchronous loop hold no native memory: RSS stays flat after warm-up', () => {
    // tools/load-loop.mjs runs in a fresh process (built packages); the same loop without dispose()
    // grows by about 2.7 MB per load of this model until the event loop turns (docs/reliability.md)
    const r = spawnSync(process.execPath, [join(ROOT, 'tools', 'load-loop.mjs'), '--loads', '400', '--json', G2P], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [result] = JSON.parse(r.stdout);
    expect(result.engine).toBe('native');
    // after 100 loads V8 has sized its heap; 300 more loads add less than one MB each at most
    expect(result.rssMB['400'] - result.rssMB['100']).toBeLessThan(50);
  }, 60_000);
});
