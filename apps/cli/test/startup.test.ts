import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// `intrnn run` loads runtime-core, the kernels and @intrnn/tasks' engines; the training stack
// (TensorFlow.js, through @intrnn/qat or @intrnn/converter) must stay unloaded, or startup costs
// seconds and tens of MB. TensorFlow.js announces itself with the globals it creates on load.
test('the modules intrnn run imports do not load TensorFlow.js (a static converter import in bench.ts once did)', () => {
  const probe = `
    await import('@intrnn/runtime-core');
    const tasks = await import('@intrnn/tasks');
    await tasks.engineBackends('native');
    await tasks.engineBackends('wasm');
    console.log(JSON.stringify(Object.keys(globalThis).filter((k) => k.startsWith('_tf'))));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual([]);
  // the probe can fail: importing the training stack does set the globals
  const qat = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('@intrnn/qat'); console.log(JSON.stringify(Object.keys(globalThis).filter((k) => k.startsWith('_tf'))))"], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(JSON.parse(qat.stdout.trim().split('\n').pop()!)).toEqual(expect.arrayContaining(['_tfengine']));
});
