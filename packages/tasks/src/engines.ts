import { decodeModel, graphInputs, IntrnnError, type ModelMetadata, type Tensor } from '@intrnn/format';
import { loadModel } from '@intrnn/runtime-core';
import { registerNativeKernels } from '@intrnn/runtime-native';

const warned = new Set<string>();

/** runtime-wasm's kernels, imported when asked for: a process on the native kernels never loads it. */
async function wasmKernels(): Promise<{ ok: boolean; reason: string }> {
  return (await import('@intrnn/runtime-wasm')).registerWasmKernels();
}

/** Something that runs a model file: runtime-core, or ONNX Runtime on the very same bytes. */
export interface Engine {
  readonly name: string;
  /** The model file's graph inputs (names and declared dims). */
  readonly inputs: readonly { name: string; dims: readonly (number | string)[] }[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

/** The engines `--engine` accepts. */
export const ENGINES = ['core', 'ort', 'native', 'wasm', 'ort-web'] as const;
export type EngineName = (typeof ENGINES)[number];

/** The engines that run on runtime-core's executor (the others are ONNX Runtime); `auto`: the fastest that loads. */
export type KernelEngine = 'core' | 'native' | 'wasm' | 'auto';

/**
 * The kernel backends an engine runs on: runtime-core's, preceded by the native (Rust, Node-API)
 * or wasm (the same Rust in WebAssembly SIMD) ones when they load; if they do not, says why once
 * on stderr and runs runtime-core's. `used` is false then. `auto` takes the fastest that loads, silently.
 */
export async function engineBackends(name: KernelEngine): Promise<{ backends: string[]; used: boolean }> {
  const backends = ['core', 'reference'];
  if (name === 'core') return { backends, used: true };
  if (name === 'auto') {
    // native, else wasm, else runtime-core alone: every one gives the same answers, so no warning
    if (registerNativeKernels().ok) return { backends: ['native', ...backends], used: true };
    if ((await wasmKernels()).ok) return { backends: ['wasm', ...backends], used: true };
    return { backends, used: true };
  }
  const r = name === 'native' ? registerNativeKernels() : await wasmKernels();
  if (r.ok) return { backends: [name, ...backends], used: true };
  if (!warned.has(name)) {
    warned.add(name);
    process.stderr.write(`intrnn: ${name} kernels unavailable (${r.reason}); runtime-core's kernels serve instead\n`);
  }
  return { backends, used: false };
}

/** onnxruntime-web on its wasm backend: one thread (a page without cross-origin isolation gets one), SIMD. */
async function openOrtWeb(): Promise<typeof import('onnxruntime-node')> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.logLevel = 'error';
  // the same InferenceSession/Tensor surface as onnxruntime-node (both are onnxruntime-common)
  return ort as unknown as typeof import('onnxruntime-node');
}

/**
 * Open an engine on model bytes. `outputs` is runtime-core's LoadOptions.outputs for the kernel
 * engines (`recycled` only for callers that read each run's outputs before the run after next). runtime-core runs integer files; ONNX Runtime runs both kinds, as
 * onnxruntime-node (`ort`, its native CPU build) or onnxruntime-web (`ort-web`, its wasm backend with
 * SIMD on one thread, the engine a browser app would embed).
 */
export async function openEngine(name: EngineName, bytes: Uint8Array, metadata: ModelMetadata, options: { outputs?: 'fresh' | 'recycled' } = {}): Promise<Engine> {
  const inputs = graphInputs(decodeModel(bytes));
  if (name !== 'ort' && name !== 'ort-web') {
    if (metadata.numerics !== 'integer') throw new IntrnnError('ERR_OPTION', '--engine', `${name} runs integer files; run a float32 file with --engine ort`);
    const { backends, used } = await engineBackends(name);
    const label = used ? name : `core (${name} unavailable)`;
    const model = loadModel(bytes, { backends, outputs: options.outputs });
    return { name: label, inputs, run: async (feeds) => model.run(feeds), close: async () => undefined };
  }
  // loaded only when asked for: the ORT bindings are large
  const ort = name === 'ort-web' ? await openOrtWeb() : await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    const options = name === 'ort-web' ? { executionProviders: ['wasm'] } : { intraOpNumThreads: 1, interOpNumThreads: 1 };
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'all', ...options });
  } catch (e) {
    throw new IntrnnError('ERR_MODEL_ORT', 'model', `ONNX Runtime cannot load it: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    name,
    inputs,
    async run(feeds) {
      const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)])));
      return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type as Tensor['type'], dims: [...t.dims], data: t.data as Tensor['data'] }]));
    },
    close: () => session.release(),
  };
}
