/**
 * The browser side of the benchmark (apps/web/scripts/browser-bench.mjs drives it in Chromium):
 * a language model streamed one token per call, as the web app runs it, by runtime-core with the
 * wasm kernels, by runtime-core alone, and by onnxruntime-web (wasm backend, one thread, SIMD) on
 * the peers built from the same integer file. Same warm-up and interleaving as `intrnn bench`.
 */
import { decodeModel, graphInputs, modelMetadata, type Tensor } from '@intrnn/format';
import { loadModel } from '@intrnn/runtime-core';
import { registerWasmKernels } from '@intrnn/runtime-wasm';
import { latencyStepper, timeInterleaved, zeroLmState, type SteppableEngine, type TimedStepper } from '@intrnn/tasks/latency';
import * as ort from 'onnxruntime-web/wasm';

export interface BrowserBenchConfig {
  /** URL of the integer model. */
  integer: string;
  /** Peer files by row name, e.g. `ort-web-lstm-float32`. */
  peers: Record<string, string>;
  ids: number[];
  calls: number;
  block: number;
}

const log = (s: string): void => {
  document.getElementById('log')!.textContent += `${s}\n`;
};

async function bytesOf(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function ortEngine(bytes: Uint8Array): Promise<SteppableEngine> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    inputs: graphInputs(decodeModel(bytes)),
    async run(feeds) {
      const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)])));
      return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type as Tensor['type'], dims: [...t.dims], data: t.data as Tensor['data'] }]));
    },
  };
}

/** Each node's kernel alone beside whole runs (IntrnnModel.profile), after a warm-up past V8's tier-up. */
function profileOf(model: ReturnType<typeof loadModel>): ReturnType<ReturnType<typeof loadModel>['profile']> {
  const feeds: Record<string, Tensor> = { tokens: { type: 'int64', dims: [1, 1], data: BigInt64Array.from([5n]) }, ...zeroLmState(model.metadata) };
  model.profile(feeds, 3000);
  return model.profile(feeds, 2000);
}

async function runBench(cfg: BrowserBenchConfig): Promise<{ usPerToken: Record<string, number>; profile: ReturnType<typeof profileOf>; kernels: string; userAgent: string }> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  const intBytes = await bytesOf(cfg.integer);
  const meta = modelMetadata(decodeModel(intBytes));
  const wasm = await registerWasmKernels();
  if (!wasm.ok) throw new Error(`the wasm kernels did not load: ${wasm.reason}`);
  const steppers: TimedStepper[] = [];
  const kernelEngine = (backends: string[]): SteppableEngine => {
    // as apps/web runs a language model: recycled outputs (LoadOptions.outputs)
    const model = loadModel(intBytes, { backends, outputs: 'recycled' });
    return { inputs: graphInputs(decodeModel(intBytes)), run: async (feeds) => model.run(feeds) };
  };
  steppers.push({ name: 'wasm', stepper: latencyStepper(kernelEngine(['wasm', 'core', 'reference']), meta, cfg.ids), calls: cfg.calls });
  steppers.push({ name: 'core', stepper: latencyStepper(kernelEngine(['core', 'reference']), meta, cfg.ids), calls: Math.max(10, Math.floor(cfg.calls / 4)) });
  for (const [name, url] of Object.entries(cfg.peers)) {
    const bytes = await bytesOf(url);
    steppers.push({ name, stepper: latencyStepper(await ortEngine(bytes), modelMetadata(decodeModel(bytes)), cfg.ids), calls: cfg.calls });
  }
  log(`timing ${steppers.map((s) => s.name).join(', ')}`);
  // Chromium moves wasm to its optimizing tier later than Node: a longer warm-up
  const usPerToken = await timeInterleaved(steppers, cfg.block, { calls: 3000, ms: 6000 });
  log(JSON.stringify(usPerToken));
  const profile = profileOf(loadModel(intBytes, { backends: ['wasm', 'core', 'reference'], outputs: 'recycled' }));
  return { usPerToken, profile, kernels: wasm.reason, userAgent: navigator.userAgent };
}

(window as unknown as { intrnnBench: typeof runBench }).intrnnBench = runBench;
log('ready');
