// Bundles dist/index.js (tsc's output) into one ES module with zod, onnx-proto and protobufjs
// inlined and tree-shaken. Why: unbundled, `zod/mini` loads all of zod's core and onnx-proto the
// CommonJS protobufjs runtime, file by file: about 25 MB of a process's 84 MB when `intrnn run`
// loads a model (issue 16 goal: 80 MB). One tree-shaken file costs about 3 MB. The declarations
// stay tsc's. protobufjs then finds no Node `require` (as in a browser bundle, which apps/web
// always was): int64 fields decode as numbers and bytes as Uint8Array views, which onnx-io.ts reads
// either way (toNumber; Uint8Array).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/index.js'],
  outfile: 'dist/index.js',
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'es2022',
  logLevel: 'warning',
  legalComments: 'eof',
});
