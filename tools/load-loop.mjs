/**
 * Loads and drops models in one synchronous loop and reports the process's RSS along the way:
 * whether memory outside the JS heap (native and wasm kernels' weights) comes back without the
 * event loop turning. `node tools/load-loop.mjs [--loads N] [--no-dispose] [--json] MODEL.onnx...`
 * (the shipped models by default). Run by packages/runtime-native/test/dispose.test.ts and for
 * docs/reliability.md. Each model in a fresh process, so one model's heap does not hide another's.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { loads: { type: 'string', default: '1000' }, 'no-dispose': { type: 'boolean' }, json: { type: 'boolean' }, child: { type: 'boolean' } },
});
const loads = Number(values.loads);
if (!Number.isSafeInteger(loads) || loads < 1) {
  console.error('load-loop: --loads must be a positive integer');
  process.exit(2);
}

if (values.child) {
  const { loadModelFile } = await import('@intrnn/runtime-core/node');
  const { registerNativeKernels } = await import('@intrnn/runtime-native');
  const native = registerNativeKernels();
  const mb = (n) => Math.round(n / 2 ** 20);
  const marks = {};
  const heapMarks = {};
  const t0 = performance.now();
  for (let i = 1; i <= loads; i++) {
    // as an app reloading a model would: read the file, load it, drop it
    const model = loadModelFile(positionals[0]);
    if (!values['no-dispose']) model.dispose();
    if (i === 1 || i === 100 || i === loads) {
      const u = process.memoryUsage();
      marks[i] = mb(u.rss);
      heapMarks[i] = mb(u.heapTotal);
    }
  }
  const msPerLoad = (performance.now() - t0) / loads;
  console.log(
    JSON.stringify({
      model: positionals[0],
      engine: native.ok ? 'native' : 'core',
      dispose: !values['no-dispose'],
      loads,
      rssMB: marks,
      heapTotalMB: heapMarks,
      msPerLoad: Number(msPerLoad.toFixed(1)),
    }),
  );
} else {
  const models = positionals.length
    ? positionals
    : readdirSync(join(root, 'models'))
        .filter((f) => f.endsWith('.onnx') && !f.includes('.float32.'))
        .map((f) => join(root, 'models', f));
  const results = models.map((m) => {
    const args = [fileURLToPath(import.meta.url), '--child', '--loads', String(loads), ...(values['no-dispose'] ? ['--no-dispose'] : []), m];
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`load-loop: ${m}: ${r.stderr.trim().split('\n').pop()}`);
      process.exit(1);
    }
    return JSON.parse(r.stdout);
  });
  if (values.json) console.log(JSON.stringify(results));
  else
    for (const r of results)
      console.log(
        `${r.model}: ${r.loads} loads on ${r.engine}${r.dispose ? ' with dispose()' : ' (dropped, no dispose)'}, ${r.msPerLoad} ms each; RSS MB ${Object.entries(r.rssMB)
          .map(([i, v]) => `after ${i}: ${v}`)
          .join(', ')}`,
      );
}
