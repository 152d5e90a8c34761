import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as source from '../src/index.js';

// The published entry (dist/index.js) is one esbuild bundle with zod, onnx-proto and protobufjs
// inlined (scripts/bundle.mjs); the unit tests run the sources. This holds the two to one reading:
// every shipped model and every function-bearing test file decodes to the same metadata, graph
// inputs and tensors, and encodes back to the same bytes, in real ESM Node and in the sources.
const pkg = join(__dirname, '..');
const models = join(pkg, '..', '..', 'models');
const files = readdirSync(models)
  .filter((f) => f.endsWith('.onnx'))
  .map((f) => join(models, f));

/** A digest of how a format build reads a file (a function body, so that the child runs the same code). */
const DIGEST = `
  const hash = (b) => createHash('sha256').update(b).digest('hex');
  const model = f.decodeModel(bytes);
  const tensors = (model.graph.initializer ?? []).map((t) => {
    const r = f.readTensor(t);
    return [t.name, r.type, r.dims, hash(new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength))];
  });
  return JSON.stringify({ meta: f.modelMetadata(model), inputs: f.graphInputs(model), tensors, nodes: model.graph.node.length, functions: (model.functions ?? []).length, encoded: hash(f.encodeModel(model)) });
`;

test('the dist bundle reads every shipped model as the sources do', () => {
  const bundle = join(pkg, 'dist', 'index.js');
  expect(existsSync(bundle)).toBe(true); // npm test builds before it tests
  expect(files.length).toBeGreaterThanOrEqual(3);
  const digest = new Function('f', 'bytes', 'createHash', DIGEST) as (f: typeof source, b: Uint8Array, h: typeof createHash) => string;
  const child = `
    import { createHash } from 'node:crypto';
    import { readFileSync } from 'node:fs';
    const f = await import(${JSON.stringify(bundle)});
    const digest = new Function('f', 'bytes', 'createHash', ${JSON.stringify(DIGEST)});
    console.log(JSON.stringify(${JSON.stringify(files)}.map((p) => digest(f, readFileSync(p), createHash))));
  `;
  // the files as Node Buffers, as the CLI reads them; nothing may be written to stderr (no warning)
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect([r.status, r.stderr]).toEqual([0, '']);
  const got = JSON.parse(r.stdout) as string[];
  const want = files.map((p) => digest(source, new Uint8Array(readFileSync(p)), createHash));
  files.forEach((p, i) => expect([p, got[i]]).toEqual([p, want[i]]));
});
