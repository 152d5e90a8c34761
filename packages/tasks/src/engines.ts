import { decodeModel, IntrnnError, toNumber, type ModelMetadata, type Tensor } from '@intrnn/format';
import { loadModel } from '@intrnn/runtime-core';
import { registerNativeKernels } from '@intrnn/runtime-native';

let warned = false;

/** Something that runs a model file: runtime-core, or ONNX Runtime on the very same bytes. */
export interface Engine {
  readonly name: string;
  /** The model file's graph inputs (names and declared dims). */
  readonly inputs: readonly { name: string; dims: readonly (number | string)[] }[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

/** The engines `--engine` accepts. */
export const ENGINES = ['core', 'ort', 'native'] as const;
export type EngineName = (typeof ENGINES)[number];

/**
 * The kernel backends an engine runs on: runtime-core's, preceded by the native ones for `native`
 * when the addon loads (if it does not, says why once on stderr and runs runtime-core's).
 */
export function engineBackends(name: 'core' | 'native'): { backends: string[]; native: boolean } {
  const backends = ['core', 'reference'];
  if (name !== 'native') return { backends, native: false };
  const native = registerNativeKernels();
  if (native.ok) return { backends: ['native', ...backends], native: true };
  if (!warned) {
    warned = true;
    process.stderr.write(`intrnn: native kernels unavailable (${native.reason}); runtime-core's kernels serve instead\n`);
  }
  return { backends, native: false };
}

/** The graph inputs of a model file that are not initializers. */
function graphInputs(bytes: Uint8Array): Engine['inputs'] {
  const g = decodeModel(bytes).graph;
  const constants = new Set((g?.initializer ?? []).map((t) => t.name));
  return (g?.input ?? [])
    .filter((v) => !constants.has(v.name))
    .map((v) => ({ name: v.name ?? '', dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue ?? 0))) }));
}

/** Open an engine on model bytes. runtime-core runs integer files; ONNX Runtime runs both kinds. */
export async function openEngine(name: EngineName, bytes: Uint8Array, metadata: ModelMetadata): Promise<Engine> {
  const inputs = graphInputs(bytes);
  if (name === 'core' || name === 'native') {
    if (metadata.numerics !== 'integer') throw new IntrnnError('ERR_OPTION', '--engine', `${name} runs integer files; run a float32 file with --engine ort`);
    const { backends, native } = engineBackends(name);
    const label = name === 'native' && !native ? 'core (native unavailable)' : name;
    const model = loadModel(bytes, { backends });
    return { name: label, inputs, run: async (feeds) => model.run(feeds), close: async () => undefined };
  }
  // loaded only when asked for: the native ORT binding is large
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
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
