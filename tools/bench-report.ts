/**
 * Writes docs/BENCHMARKS.md: per-token latency of every engine on the same language model, side by
 * side in one run (batch 1, one thread), in Node and in headless Chromium, a hidden-size sweep, and
 * GEMV against the machine's limits.
 *
 * Run: `npm run bench:runtime -- [MODEL]` (default models/lm-brown-small.onnx, the shipped file, so a
 * fresh clone reproduces every figure). Every peer is built from MODEL alone: the float model its
 * integers stand for, written with the standard ONNX LSTM op (float32) and in ONNX Runtime's int8
 * form (DynamicQuantizeLSTM + DynamicQuantizeMatMul), each checked against MODEL by top-1 agreement.
 * The sweep builds random 2-layer language models (vocabulary 10,000) at H = 256, 512, 1024; the GEMV
 * rows use random int8 matrices. Prints the JSON and writes the document.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchModel, median, zeroLmState, type BenchResult } from '@intrnn/tasks';
import { buildIntegerModel, buildPeerLanguageModel, dequantizeLanguageModel, languageModelSpec } from '@intrnn/converter';
import { LstmLanguageModel, tf, useWasmBackend } from '@intrnn/qat';
import { loadAddon, registerNativeKernels } from '@intrnn/runtime-native';
import { loadWasmKernels, registerWasmKernels } from '@intrnn/runtime-wasm';
import { loadModel, type IntrnnModel, type Tensor } from '@intrnn/runtime-core';
import { benchInChromium } from '@intrnn/web/browser-bench';
import { markdownTable } from 'markdown-table';

const modelPath = process.argv[2] ?? 'models/lm-brown-small.onnx';
const DOCS = join(import.meta.dirname, '..', 'docs');
const CALLS = 300;
/** Streaming protocol: engines take turns in blocks of this many calls (the first of each untimed). */
const BLOCK = 32;
const IDS = [2, 15, 7, 99, 3, 250, 12, 5, 8, 40, 1, 77, 6, 9, 11, 300, 4, 21, 60, 13];

const WHAT: Record<string, string> = {
  native: 'integer file, runtime-native (Rust, Node-API)',
  wasm: 'integer file, runtime-wasm (the same Rust, WebAssembly SIMD)',
  core: 'integer file, runtime-core (TypeScript)',
  'ort-integer-file': 'integer file, onnxruntime-node (standard-op functions)',
  'ort-lstm-float32': 'float32 peer, standard LSTM op, onnxruntime-node',
  'ort-lstm-int8-dynamic': 'int8 peer, DynamicQuantizeLSTM + DynamicQuantizeMatMul, onnxruntime-node',
  'ort-web-lstm-float32': 'float32 peer, standard LSTM op, onnxruntime-web (wasm, SIMD, 1 thread)',
  'ort-web-lstm-int8-dynamic': 'int8 peer, DynamicQuantizeLSTM + DynamicQuantizeMatMul, onnxruntime-web',
  'ort-scan-float32': 'float32 Scan graph (extra row), onnxruntime-node',
  'ort-scan-int8-dynamic': 'int8-dynamic Scan graph (extra row), onnxruntime-node',
};
const ENGINES = Object.keys(WHAT);

const log = (s: string) => process.stderr.write(`${s}\n`);

log(`[1/6] ${modelPath}: streaming (blocks of ${BLOCK} calls), Node`);
const main = await benchModel(modelPath, CALLS, (e) => log(`  ${e}`), BLOCK);
log('[2/6] the same, engines alternating every call');
const alternating = await benchModel(modelPath, CALLS, (e) => log(`  ${e}`), 1);

log('[3/6] headless Chromium: runtime-wasm, runtime-core, onnxruntime-web');
const intBytes = new Uint8Array(readFileSync(modelPath));
const lm = dequantizeLanguageModel(intBytes);
const browser = await benchInChromium({
  integer: intBytes,
  peers: { 'ort-web-lstm-float32': buildPeerLanguageModel(lm, 'lstm-float32'), 'ort-web-lstm-int8-dynamic': buildPeerLanguageModel(lm, 'lstm-int8-dynamic') },
  ids: IDS,
  calls: CALLS,
  block: BLOCK,
});

// Where a token's time goes: each node's kernel alone, beside whole runs (IntrnnModel.profile).
function profileOf(backend: string): ReturnType<IntrnnModel['profile']> {
  const m = loadModel(intBytes, { backends: [backend, 'core', 'reference'] });
  const feeds: Record<string, Tensor> = { tokens: { type: 'int64', dims: [1, 1], data: BigInt64Array.from([5n]) }, ...zeroLmState(m.metadata) };
  m.profile(feeds, 1500); // warm-up: the wasm kernels reach V8's optimizing tier after ~1,000 calls
  return m.profile(feeds, 2000);
}
const profiles: Record<string, ReturnType<IntrnnModel['profile']>> = {};
if (registerNativeKernels().ok) profiles.native = profileOf('native');
if ((await registerWasmKernels()).ok) profiles.wasm = profileOf('wasm');

log('[4/6] hidden-size sweep (random 2-layer models, vocabulary 10,000)');
await useWasmBackend();
const work = mkdtempSync(join(tmpdir(), 'intrnn-bench-'));
const sweep: { hidden: number; result: BenchResult; alternating: BenchResult }[] = [];
for (const H of [256, 512, 1024]) {
  log(`  H = ${H}`);
  const model = new LstmLanguageModel({ vocabSize: 10000, embedSize: H, hiddenSize: H, layers: 2, seed: 1 });
  const ids = tf.randomUniformInt([4, 16], 0, 10000, 1) as tf.Tensor2D;
  model.calibrate([ids]);
  const source = { producer: 'bench', preset: `random-h${H}`, checkpointStep: 0, dataFingerprint: 'random' };
  const words = Array.from({ length: 10000 }, (_, i) => `w${i}`);
  const { bytes } = buildIntegerModel(languageModelSpec(model, words, { unknown: 'w0', sentenceEnd: 'w1' }, source));
  const path = join(work, `h${H}.onnx`);
  writeFileSync(path, bytes);
  model.dispose();
  ids.dispose();
  sweep.push({ hidden: H, result: await benchModel(path, 150, undefined, BLOCK), alternating: await benchModel(path, 150, undefined, 1) });
}
rmSync(work, { recursive: true, force: true });

log('[5/6] GEMV against the machine');
const shapes = [
  [1024, 256],
  [10000, 256],
  [1024, 1024],
  [4096, 4096],
];
type Gemv = { shape: string; bytes: number; us: number; gmacPerS: number };
function timeGemv(create: (w: Int8Array, n: number, k: number) => number, run: (h: number, x: Int8Array, out: Int32Array) => void, release: (h: number) => void): Gemv[] {
  return shapes.map(([N, K]) => {
    const w = Int8Array.from({ length: N * K }, (_, i) => (((i * 2654435761) >>> 24) % 255) - 127);
    const h = create(w, N, K);
    const x = Int8Array.from({ length: K }, (_, i) => (i % 200) - 100);
    const out = new Int32Array(N);
    // past the wasm tier-up and the first-touch page faults
    const warm = performance.now();
    while (performance.now() - warm < 1500) run(h, x, out);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      run(h, x, out);
      times.push((performance.now() - t0) * 1000);
    }
    release(h);
    const us = median(times);
    return { shape: `${N} × ${K}`, bytes: N * K, us, gmacPerS: (N * K) / us / 1e3 };
  });
}
const addon = loadAddon().addon;
const nativeGemv = addon
  ? timeGemv(
      (w, n, k) => addon.denseCreate(w, n, k, new Int32Array(n)),
      (h, x, out) => addon.denseRun(h, x, 1, out),
      (h) => addon.release(h),
    )
  : [];
const wasmLib = (await loadWasmKernels()).library;
const wasmGemv = wasmLib
  ? timeGemv(
      (w, n, k) => wasmLib.denseCreate(w, n, k, new Int32Array(n)),
      (h, x, out) => wasmLib.denseRun(h, x, 1, out),
      (h) => wasmLib.release(h),
    )
  : [];
const wasmPeak = wasmLib ? wasmLib.dotPeak() / 1e9 : 0;

log('[6/6] writing docs/BENCHMARKS.md');
const result = {
  model: modelPath,
  calls: CALLS,
  block: BLOCK,
  engines: main.engines,
  peers: main.peers,
  alternating: alternating.engines,
  browser,
  profiles,
  sweep: sweep.map((s) => ({ hidden: s.hidden, engines: s.result.engines, alternating: s.alternating.engines })),
  nativeGemv,
  wasmGemv,
  wasmPeakGmacPerS: wasmPeak,
  addon: loadAddon().reason,
};
process.stdout.write(JSON.stringify(result) + '\n');

const us = (v?: { usPerToken: number } | number) => (v === undefined ? '-' : (typeof v === 'number' ? v : v.usPerToken).toFixed(1));
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
const u = (r: BenchResult['engines'], e: string) => r[e]?.usPerToken;
const rows = ENGINES.filter((e) => main.engines[e]);
const mainTable = markdownTable(
  [
    ['engine', 'what runs', 'µs / token', 'tokens / s', 'wasm is faster by', 'native is faster by', 'alternating: µs / token', 'top-1 agreement'],
    ...rows.map((e) => [
      e,
      WHAT[e],
      us(main.engines[e]),
      main.engines[e].tokensPerSecond.toFixed(0),
      e === 'wasm' ? '-' : ratio(u(main.engines, e), u(main.engines, 'wasm')),
      e === 'native' ? '-' : ratio(u(main.engines, e), u(main.engines, 'native')),
      us(alternating.engines[e]),
      main.peers[e] ? `${(100 * main.peers[e].top1Agreement).toFixed(0)}% of ${main.peers[e].positions}` : '-',
    ]),
  ],
  { align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'] },
);
const b = browser.usPerToken;
const browserTable = markdownTable([['engine (Chromium)', 'µs / token', 'wasm is faster by'], ...Object.keys(b).map((e) => [e, us(b[e]), e === 'wasm' ? '-' : ratio(b[e], b.wasm)])], {
  align: ['l', 'r', 'r'],
});
const SWEEP = ['native', 'wasm', 'core', 'ort-lstm-float32', 'ort-lstm-int8-dynamic', 'ort-web-lstm-float32', 'ort-web-lstm-int8-dynamic'];
const sweepTable = markdownTable(
  [
    ['H', ...SWEEP.map((e) => `${e} µs`), 'native vs ort-lstm-int8-dynamic', 'alternating: native vs ort-lstm-int8-dynamic', 'wasm vs ort-web-lstm-float32'],
    ...sweep.map((s) => [
      String(s.hidden),
      ...SWEEP.map((e) => us(s.result.engines[e])),
      ratio(u(s.result.engines, 'ort-lstm-int8-dynamic'), u(s.result.engines, 'native')),
      ratio(u(s.alternating.engines, 'ort-lstm-int8-dynamic'), u(s.alternating.engines, 'native')),
      ratio(u(s.result.engines, 'ort-web-lstm-float32'), u(s.result.engines, 'wasm')),
    ]),
  ],
  { align: ['r', ...SWEEP.map(() => 'r'), 'r', 'r', 'r'] },
);
const gemvTable = markdownTable(
  [
    ['int8 GEMV', 'weight bytes', 'native µs', 'native GMAC/s', 'wasm µs', 'wasm GMAC/s', 'wasm share of its dot peak'],
    ...shapes.map((_, i) => [
      nativeGemv[i]?.shape ?? wasmGemv[i]?.shape ?? '-',
      `${((nativeGemv[i] ?? wasmGemv[i]).bytes / 1e6).toFixed(2)} MB`,
      us(nativeGemv[i]?.us),
      nativeGemv[i]?.gmacPerS.toFixed(1) ?? '-',
      us(wasmGemv[i]?.us),
      wasmGemv[i]?.gmacPerS.toFixed(1) ?? '-',
      wasmGemv[i] && wasmPeak ? `${((100 * wasmGemv[i].gmacPerS) / wasmPeak).toFixed(0)}%` : '-',
    ]),
  ],
  { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r'] },
);
function profileTable(name: string): string {
  const p = profiles[name];
  if (!p) return `The ${name} kernels are not built here: no profile.`;
  const sum = p.nodes.reduce((a, n) => a + n.us, 0);
  return markdownTable(
    [
      ['node', 'op', 'kernel', 'µs (median, alone)', 'share of a run'],
      ...p.nodes.map((n) => [n.name, n.op, n.backend, n.us.toFixed(1), `${((100 * n.us) / p.runUs).toFixed(0)}%`]),
      ['executor and bindings', '', '', (p.runUs - sum).toFixed(1), `${((100 * (p.runUs - sum)) / p.runUs).toFixed(0)}%`],
      ['whole run', '', '', p.runUs.toFixed(1), '100%'],
    ],
    { align: ['l', 'l', 'l', 'r', 'r'] },
  );
}
const verdict = (v: number, goal: number) => (v >= goal ? `met (${v.toFixed(2)}x)` : `missed (${v.toFixed(2)}x, ${(100 * (goal / v - 1)).toFixed(0)}% short)`);
const speed = (r: Record<string, number | undefined>, of: string, than: string) => (r[of] && r[than] ? r[than]! / r[of]! : 0);
const nodeUs = Object.fromEntries(Object.entries(main.engines).map(([k, v]) => [k, v.usPerToken]));
const wasmVsCoreNode = speed(nodeUs, 'wasm', 'core');
const wasmVsOrtWebNode = speed(nodeUs, 'wasm', 'ort-web-lstm-float32');
const wasmVsOrtWebInt8Node = speed(nodeUs, 'wasm', 'ort-web-lstm-int8-dynamic');
const wasmVsCoreWeb = speed(b, 'wasm', 'core');
const wasmVsOrtWeb = speed(b, 'wasm', 'ort-web-lstm-float32');
const wasmVsOrtWebInt8 = speed(b, 'wasm', 'ort-web-lstm-int8-dynamic');
const bestWasmShare = wasmPeak ? Math.max(...wasmGemv.map((g) => g.gmacPerS)) / wasmPeak : 0;
const nativeVsOrtInt8 = speed(nodeUs, 'native', 'ort-lstm-int8-dynamic');
const nativeVsOrtF32 = speed(nodeUs, 'native', 'ort-lstm-float32');
const altUs = Object.fromEntries(Object.entries(alternating.engines).map(([k, v]) => [k, v.usPerToken]));

writeFileSync(
  join(DOCS, 'BENCHMARKS.md'),
  `# Benchmarks: integer inference against the engines a user would pick instead

Generated by \`tools/bench-report.ts\` (\`npm run bench:runtime -- ${modelPath}\`) on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}, ${browser.userAgent.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? 'Chromium'}; native addon: ${loadAddon().reason}; wasm: ${browser.kernels}. Do not edit by hand.

Batch 1, one thread, every engine on the same model in one run; a language model is timed as a user
runs it, one token per call with its state carried. Every engine is warmed up first (1,000 calls or
2 s in Node; 3,000 calls or 6 s in Chromium, which moves WebAssembly to its optimizing tier later),
then timed over ${CALLS} calls (runtime-core: a quarter of them); figures are medians. The machine is
shared with other tenants: compare ratios within one run, not absolute times across runs.

The peers are built from the integer file alone (\`intrnn bench\` does the same), so a fresh clone
reproduces every row: the float model its integers stand for (weights dequantized with the file's
own scales and multipliers), written **with the standard ONNX \`LSTM\` op** (ONNX Runtime's fused
kernel) in float32, and **as ONNX Runtime's quantization tool writes it**: \`com.microsoft\`
\`DynamicQuantizeLSTM\` and \`DynamicQuantizeMatMul\`, per-output-channel symmetric int8 weights. Each
peer's next-token choice is compared with the integer model's over 100 streamed positions (top-1
agreement). ONNX Runtime runs with one intra-op thread and all graph optimizations; onnxruntime-web
on its wasm backend with SIMD and \`numThreads = 1\`. Each engine is used as its users use it by
default: ONNX Runtime returns new output tensors per run; runtime-core's engines (native, wasm, core)
load the language model with \`outputs: 'recycled'\` as apps/web does (two output slabs alternate, so
a token's state feeds the next run with no allocation; an ArrayBuffer allocated per run is expensive
in Chromium).

Two protocols, both in one run:

- **Streaming** (the main figures): the engines take turns in blocks of ${BLOCK} calls, the first call of each
  block untimed; within a block an engine's weights stay warm in the caches.
- **Alternating every call**: each call follows a call of every other engine, so it finds the caches
  full of their weights and reads its own from memory.

## The shipped small language model (${modelPath}) in Node

${mainTable}

## The same model in headless Chromium

runtime-core with the wasm kernels (what apps/web runs), runtime-core alone, and onnxruntime-web on
the two peers, in one page (apps/web/bench, driven by apps/web/scripts/browser-bench.mjs).

${browserTable}

## Goals

- runtime-wasm ≥ 25x faster than runtime-core: Node **${verdict(wasmVsCoreNode, 25)}**, Chromium **${verdict(wasmVsCoreWeb, 25)}**.
- runtime-wasm ≥ 2x faster than onnxruntime-web on the float32 LSTM model: Node **${verdict(wasmVsOrtWebNode, 2)}**, Chromium **${verdict(wasmVsOrtWeb, 2)}**.
- runtime-wasm faster than onnxruntime-web's int8 path: Node **${verdict(wasmVsOrtWebInt8Node, 1)}**, Chromium **${verdict(wasmVsOrtWebInt8, 1)}**.
- wasm int8 GEMV ≥ 50% of the wasm SIMD peak of the instruction it uses (i32x4.dot_i16x8, ${wasmPeak.toFixed(1)} GMAC/s measured on registers): **${bestWasmShare >= 0.5 ? 'met' : 'missed'} (${(100 * bestWasmShare).toFixed(0)}% at best)**.
- runtime-native against ONNX Runtime's own fused paths, streaming: ${nativeVsOrtF32.toFixed(2)}x faster than the standard LSTM op in float32, ${nativeVsOrtInt8.toFixed(2)}x faster than \`DynamicQuantizeLSTM\`; alternating every call: ${speed(altUs, 'native', 'ort-lstm-float32').toFixed(2)}x and ${speed(altUs, 'native', 'ort-lstm-int8-dynamic').toFixed(2)}x.

## Where a token's time goes

Each node's kernel timed alone on one token's inputs (\`IntrnnModel.profile\`, median of 2,000 after
1,500 warm-up runs), beside whole runs; the remainder is the JavaScript executor (feed checks, the
per-run output arena) and the bindings (argument checks; for wasm also the copies in and out of its
memory).

runtime-native:

${profileTable('native')}

runtime-wasm:

${profileTable('wasm')}

## Hidden-size sweep (random 2-layer language models, vocabulary 10,000, embedding = H)

Streaming protocol in Node; the last columns compare the same engines alternating every call.

${sweepTable}

## GEMV against the machine's limits

${gemvTable}

The wasm GEMV is built on \`v128.load8x8_s\` (load and widen 8 weights) and \`i32x4.dot_i16x8_s\` (8
multiply-adds); its peak, measured with twelve independent dot chains on registers and no loads, is
${wasmPeak.toFixed(1)} GMAC/s here. A GEMV must also widen every weight byte and add each product
pair into its accumulator, so about one instruction in three is a dot.

## Reading the results

- **runtime-native** is the Rust crate in \`packages/runtime-native\` (AVX-512 VNNI here; AVX2, NEON and
  scalar paths are chosen at run time); **runtime-wasm** is the same crate built for wasm32 with
  simd128 (\`packages/runtime-wasm\`). Both are bit-exact with runtime-core (tests on every path).
- **ort-integer-file** runs intrnn's own file through its standard-op functions: it exists to prove
  bit-exactness anywhere ONNX runs, not for speed.
- Per token the small language model does 2 × (4H·(E+H)) LSTM multiply-adds and a 10,000 × H output
  layer: about 3.6 M multiply-adds and 3.6 MB of int8 weights at H = 256.
- In Chromium the page runs with \`--no-sandbox\` (headless as root); the same page in a user's
  sandboxed browser may differ. Every engine in the page runs under the same conditions.
- Tried for the wasm GEMV (A/B on this machine, each bit-exact): \`extend_high\` of a full 16-byte load
  (two x86 instructions) replaced by two \`v128.load8x8_s\` (one each): faster, kept; eight rows per pass
  instead of four: V8 keeps too few vector registers live and spills, slower; x widened once per GEMV
  and re-read from L1 per row instead of held in registers: no spills, kept; a layout with four rows'
  16-byte chunks adjacent (one pointer): a few percent, not kept; weights stored pre-widened to int16
  (no widening, twice the bytes): slower, not kept. The wasm GEMV runs near the rate its instruction
  mix allows (each dot needs a widening load and an add beside it).
- Not tried: relaxed SIMD's \`i32x4.relaxed_dot_i8x16_i7x16_add_s\` (its result is defined only for
  7-bit second operands, and Node 20 lacks it without a flag), one wasm call per token for the whole
  graph, and threads (a page gets them only when cross-origin isolated).
`,
);
log('docs/BENCHMARKS.md written');
