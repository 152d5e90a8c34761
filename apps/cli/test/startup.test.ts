import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// Which modules `intrnn run` loads, as an ES module loader hook sees them: only the running
// command's module and the runtime, not the PWL search, the math parser, the dataset loaders or
// the other commands (main once imported every command module and, through them, all of these).
test('intrnn run loads only the run command and the runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intrnn-hook-'));
  const log = join(dir, 'loaded.txt');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
  );
  writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  const root = join(__dirname, '..', '..', '..');
  const r = spawnSync(
    process.execPath,
    ['--import', join(dir, 'register.mjs'), join(root, 'apps', 'cli', 'bin', 'intrnn.mjs'), 'run', join(root, 'models', 'pos-brown-medium.onnx'), '--sentence', 'The jury said it.'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(r.status).toBe(0);
  const loaded = readFileSync(log, 'utf8').trim().split('\n');
  rmSync(dir, { recursive: true, force: true });
  expect(loaded.some((u) => u.includes('/apps/cli/dist/commands/model.js'))).toBe(true); // the probe sees modules
  const unwanted = loaded.filter((u) =>
    /\/packages\/(qat|converter)\/|\/commands\/(pwl|train|demo|bench|web)\.js|mathjs|markdown-table|cli-progress|\/packages\/tasks\/dist\/(index|evaluate|bench)\.js/.test(u),
  );
  expect(unwanted).toEqual([]);
});
