import { existsSync } from 'node:fs';
import { decodeModel, IntrnnError, modelKind, modelMetadata, type ModelMetadata, type Tensor } from '@intrnn/format';
import { readModelBytes } from '@intrnn/runtime-core/node';
import { openEngine, type Engine, type EngineName } from './engines.js';
import { carryLmState, zeroLmState } from './lm-state.js';
import { latencyStepper, timeInterleaved } from './latency.js';
import { taskEntry } from './registry.js';

/** One benchmark run: every engine on the same model, side by side. */
export interface BenchResult {
  model: string;
  task: string;
  engines: Record<string, { usPerToken: number; tokensPerSecond: number }>;
  /** How many times faster native is than each other engine (per token). */
  nativeSpeedup: Record<string, number>;
  /** How many times faster the wasm kernels are than each other engine (per token). */
  wasmSpeedup: Record<string, number>;
  /**
   * Each peer built from the integer file, checked against it: the share of the positions of a
   * token sequence where its top-1 next token equals the integer model's.
   */
  peers: Record<string, { top1Agreement: number; positions: number; bytes: number }>;
}

/** The peers' labels for a model of LSTM or GRU cells: the engine (onnxruntime-node, or onnxruntime-web's wasm backend) and the file form. */
function peerRows(cell: 'lstm' | 'gru'): [string, EngineName, `${typeof cell}-float32` | `${typeof cell}-int8-dynamic`][] {
  return [
    [`ort-${cell}-float32`, 'ort', `${cell}-float32`],
    [`ort-${cell}-int8-dynamic`, 'ort', `${cell}-int8-dynamic`],
    [`ort-web-${cell}-float32`, 'ort-web', `${cell}-float32`],
    [`ort-web-${cell}-int8-dynamic`, 'ort-web', `${cell}-int8-dynamic`],
  ];
}

/** The argmax of each call's logits over a streamed token sequence. */
async function topOnes(engine: Engine, m: ModelMetadata, ids: readonly number[]): Promise<number[]> {
  const state = zeroLmState(m, engine.inputs);
  const tops: number[] = [];
  for (const id of ids) {
    const out = await engine.run({ tokens: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(BigInt(id)) } as Tensor, ...state });
    const logits = out.logits.data as Int32Array | Float32Array;
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    tops.push(best);
    carryLmState(state, out);
  }
  return tops;
}

/**
 * Time every available engine on a model file, interleaved block by block: runtime-native,
 * runtime-wasm, runtime-core, ONNX Runtime on the integer file, and for a language model the fair
 * peers built from the integer file's own weights (the standard LSTM op in float32, and ORT's
 * DynamicQuantizeLSTM int8 form) in onnxruntime-node and onnxruntime-web; the Scan-graph siblings
 * (.float32.onnx, .int8-dynamic.onnx) as extra rows when present.
 */
export async function benchModel(path: string, calls: number, onEngine?: (name: string) => void, block = 1): Promise<BenchResult> {
  const intBytes = readModelBytes(path);
  const meta = modelMetadata(decodeModel(intBytes), `${path}: metadata`);
  if (meta.numerics !== 'integer') throw new IntrnnError('ERR_OPTION', path, 'bench takes the integer file (its .float32.onnx and .int8-dynamic.onnx siblings are found beside it)');
  const runs: [string, EngineName, string | Uint8Array][] = [
    ['native', 'native', path],
    ['wasm', 'wasm', path],
    ['core', 'core', path],
    ['ort-integer-file', 'ort', path],
    ['ort-scan-float32', 'ort', path.replace(/\.onnx$/, '.float32.onnx')],
    ['ort-scan-int8-dynamic', 'ort', path.replace(/\.onnx$/, '.int8-dynamic.onnx')],
  ];
  const peers: BenchResult['peers'] = {};
  const PEERS = peerRows(meta.layers.some((l) => l.cell === 'gru') ? 'gru' : 'lstm');
  const ids = taskEntry(meta.task, 'metadata.task').latencyIds;
  let reference: number[] | undefined;
  if (modelKind(meta) === 'language-model') {
    // loaded here, not at the top: the converter pulls in the training stack, which `intrnn run` must not load
    const { buildPeerLanguageModel, dequantizeLanguageModel } = await import('@intrnn/converter');
    const lm = dequantizeLanguageModel(intBytes);
    const built = new Map(PEERS.map(([, , form]) => [form, buildPeerLanguageModel(lm, form)]));
    for (const [name, engine, form] of PEERS) runs.push([name, engine, built.get(form)!]);
  }
  // open every engine first, then time them call by call in turn: noise hits all of them alike
  const open: { name: string; engine: Engine; stepper: { step(): Promise<number> }; calls: number }[] = [];
  for (const [name, engine, file] of runs) {
    if (typeof file === 'string' && !existsSync(file)) continue;
    onEngine?.(name);
    const bytes = file === path ? intBytes : typeof file === 'string' ? readModelBytes(file) : file;
    const m = file === path ? meta : modelMetadata(decodeModel(bytes), `${name}: metadata`);
    // a language model streams, so its kernel engines recycle their outputs as apps/web does
    const e = await openEngine(engine, bytes, m, { outputs: modelKind(meta) === 'language-model' ? 'recycled' : 'fresh' });
    if (modelKind(meta) === 'language-model' && (name === 'core' || PEERS.some(([p]) => p === name))) {
      // each peer is checked against the integer model: top-1 agreement over the latency ids streamed five times (state carried)
      const tops = await topOnes(e, m, [...ids, ...ids, ...ids, ...ids, ...ids]);
      if (name === 'core') reference = tops;
      else if (reference) peers[name] = { top1Agreement: tops.filter((t, i) => t === reference![i]).length / tops.length, positions: tops.length, bytes: bytes.length };
    }
    if ((name === 'native' || name === 'wasm') && e.name !== name) {
      await e.close();
      continue; // the addon or module is not built here: no row rather than a mislabeled one
    }
    // runtime-core is ~50x slower: fewer calls keep the run short, its median stays stable
    open.push({ name, engine: e, stepper: latencyStepper(e, m, ids), calls: name === 'core' ? Math.max(10, Math.floor(calls / 4)) : calls });
  }
  const medians = await timeInterleaved(open, block);
  const engines: BenchResult['engines'] = {};
  for (const o of open) {
    engines[o.name] = { usPerToken: medians[o.name], tokensPerSecond: 1e6 / medians[o.name] };
    await o.engine.close();
  }
  const speedup = (of: string): Record<string, number> => {
    const r: Record<string, number> = {};
    if (engines[of]) for (const [k, v] of Object.entries(engines)) if (k !== of) r[k] = v.usPerToken / engines[of].usPerToken;
    return r;
  };
  return { model: path, task: meta.task, engines, nativeSpeedup: speedup('native'), wasmSpeedup: speedup('wasm'), peers };
}
