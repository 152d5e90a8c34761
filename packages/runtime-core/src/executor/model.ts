import {
  AttributeType,
  decodeModel,
  elementTypeName,
  INTRNN_DOMAIN,
  INTRNN_OPS,
  INTRNN_OPSET_VERSION,
  INT4_WEIGHTS_SINCE,
  DataType,
  int8Values,
  IntrnnError,
  modelMetadata,
  OP_SIGNATURES,
  readTensor,
  STANDARD_OPS,
  toNumber,
  type IAttributeProto,
  type INodeProto,
  type InputSignature,
  type IntrnnOpName,
  type ModelMetadata,
  type Tensor,
} from '@intrnn/format';
import { candidateKernels, createKernel, type KernelInstance } from './registry.js';
import { RunArena } from './arena.js';
import './builtin-kernels.js';

/** A graph input or output: name, element type and dims (numbers fixed, strings symbolic). */
export interface ValueSpec {
  name: string;
  type: Tensor['type'];
  dims: (number | string)[];
}

/** One planned node: its kernel instance and where its values come from and go. */
interface PlannedNode {
  name: string;
  op: string;
  backend: string;
  inputs: string[];
  outputs: string[];
  kernel: KernelInstance;
  signature: (typeof OP_SIGNATURES)[IntrnnOpName] | null;
}

/** Options of {@link loadModel}. */
export interface LoadOptions {
  /** Run every op on this backend (e.g. `reference`); default: the highest-priority kernel per op. */
  backend?: string;
  /** Backends in order of preference: each op takes the first that has a kernel for it. */
  backends?: readonly string[];
  /**
   * `fresh` (default): every run's outputs are new arrays the caller owns for good. `recycled`: two
   * output slabs alternate, so a run's outputs stay valid until the run after next and are then
   * overwritten. That fits streaming (one run's state fed to the next, logits read at once) and saves
   * an allocation per run, which costs tens of µs in browsers; a caller that keeps outputs longer
   * copies them. The SDK's beam search holds several runs' logits: keep `fresh` for transducers.
   */
  outputs?: 'fresh' | 'recycled';
  /**
   * `copy` (default): the model copies the weights it reads out of `bytes`. `borrow`: the model keeps
   * views into `bytes` (int8 weights, and wider ones where aligned) and the caller must not change
   * them while the model lives. Borrowing saves a copy of the file per load (`loadModelFile` borrows,
   * since it owns the bytes it read), which keeps load-and-drop loops within a few MB of garbage.
   */
  bytes?: 'copy' | 'borrow';
}

/** The typed array each element type's data must be. */
const FEED_ARRAYS: Record<Tensor['type'], { new (n: number): Tensor['data']; readonly name: string }> = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  int4: Uint8Array,
};

/** The ops each domain may use (a Map: a domain such as `__proto__` must not reach an object's prototype). */
const OPS = new Map<string, readonly string[]>([
  ['', STANDARD_OPS],
  [INTRNN_DOMAIN, INTRNN_OPS],
]);

/** The signature of an ai.intrnn op, or null for a standard op. */
function signatureOf(domain: string, op: string): (typeof OP_SIGNATURES)[IntrnnOpName] | null {
  return domain === INTRNN_DOMAIN && Object.hasOwn(OP_SIGNATURES, op) ? OP_SIGNATURES[op as IntrnnOpName] : null;
}

function attributeValue(a: IAttributeProto, where: string): number | string | number[] {
  switch (a.type) {
    case AttributeType.INT:
      return toNumber(a.i);
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttributeType.INTS:
      return (a.ints ?? []).map(toNumber);
    default:
      throw new IntrnnError('ERR_MODEL_UNSUPPORTED', where, `attribute type ${a.type} is not used by intrnn ops`);
  }
}

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** What runs once when a model is disposed: `loadModelFile` takes its file buffer back for the next read. */
const disposeHooks = new WeakMap<IntrnnModel, () => void>();

/** Run `hook` when `model` is disposed (package-internal: `@intrnn/runtime-core/node`'s buffer reuse). */
export function onDispose(model: IntrnnModel, hook: () => void): void {
  disposeHooks.set(model, hook);
}

/**
 * An intrnn integer model loaded from ONNX bytes: validated, planned once (a kernel instance per
 * node, weights packed), then {@link IntrnnModel.run} any number of times.
 */
export class IntrnnModel {
  /** Validated intrnn metadata (task, vocabularies, scales, PWL tables, overflow proof). */
  readonly metadata: ModelMetadata;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  /** Constant tensors by name. */
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** The ai.intrnn op set version the file imports (1 to INTRNN_OPSET_VERSION). */
  readonly opsetVersion: number;
  private readonly plan: PlannedNode[];
  /** Nodes whose preferred backend could not build their kernel, and why (the next backend serves them). */
  readonly fallbacks: { node: string; backend: string; reason: string }[] = [];
  /** Bytes of outputs the last run allocated: the size of the next run's arena. */
  private arenaBytes = 0;
  /** With `outputs: 'recycled'`, the two slabs runs alternate between, and which one ran last. */
  private readonly recycled?: [RunArena, RunArena];
  private turn = 0;
  private disposed = false;

  constructor(bytes: Uint8Array, options: LoadOptions = {}) {
    const model = decodeModel(bytes);
    const graph = model.graph;
    if (!graph) throw new IntrnnError('ERR_MODEL_GRAPH', 'graph', 'is missing');
    this.metadata = modelMetadata(model);
    if (options.outputs === 'recycled') this.recycled = [new RunArena(0), new RunArena(0)];
    else if (options.outputs !== undefined && options.outputs !== 'fresh') throw new IntrnnError('ERR_OPTION', 'outputs', `is '${String(options.outputs)}'; expected 'fresh' or 'recycled'`);
    if (this.metadata.numerics !== 'integer')
      throw new IntrnnError('ERR_MODEL_UNSUPPORTED', 'metadata.numerics', `is '${this.metadata.numerics}': runtime-core runs integer models; run float32 files with ONNX Runtime`);
    const opset = (model.opsetImport ?? []).find((o) => o.domain === INTRNN_DOMAIN);
    const version = opset ? toNumber(opset.version) : Number.NaN;
    if (!(Number.isInteger(version) && version >= 1 && version <= INTRNN_OPSET_VERSION)) {
      throw new IntrnnError('ERR_MODEL_VERSION', `opset_import.${INTRNN_DOMAIN}`, `is ${opset ? version : 'missing'}; this runtime implements versions 1 to ${INTRNN_OPSET_VERSION}`);
    }
    this.opsetVersion = version;
    if (options.bytes !== undefined && options.bytes !== 'copy' && options.bytes !== 'borrow')
      throw new IntrnnError('ERR_OPTION', 'bytes', `is '${String(options.bytes)}'; expected 'copy' or 'borrow'`);
    const borrow = options.bytes === 'borrow';
    const inits = new Map<string, Tensor>();
    for (const t of graph.initializer ?? []) {
      const name = t.name ?? '';
      if (!name || inits.has(name)) throw new IntrnnError('ERR_MODEL_GRAPH', `initializer '${name}'`, 'is unnamed or defined twice');
      const tensor = readTensor(t, `initializer ${name}`, borrow);
      if (tensor.type === 'int4' && version < INT4_WEIGHTS_SINCE)
        throw new IntrnnError('ERR_MODEL_VERSION', `initializer ${name}`, `is int4, which ai.intrnn allows from version ${INT4_WEIGHTS_SINCE}; the file imports version ${version}`);
      inits.set(name, tensor);
    }
    this.initializers = inits;
    const valueSpec = (
      v: { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null },
      kind: string,
    ): ValueSpec => {
      const name = v.name ?? '';
      const tt = v.type?.tensorType;
      const type = elementTypeName(tt?.elemType);
      if (!name || !type) throw new IntrnnError('ERR_MODEL_GRAPH', `${kind} '${name}'`, `has no name or an unsupported element type (${tt?.elemType})`);
      if (type === 'int4') throw new IntrnnError('ERR_MODEL_UNSUPPORTED', `${kind} '${name}'`, 'is int4; int4 is for weights in initializers only');
      const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : toNumber(d.dimValue ?? 0)));
      return { name, type, dims };
    };
    this.inputs = (graph.input ?? []).filter((v) => !inits.has(v.name ?? '')).map((v) => valueSpec(v, 'input'));
    this.outputs = (graph.output ?? []).map((v) => valueSpec(v, 'output'));

    const defined = new Set<string>([...inits.keys(), ...this.inputs.map((i) => i.name)]);
    const plan: PlannedNode[] = [];
    this.plan = plan;
    try {
      (graph.node ?? []).forEach((n, index) => {
        const planned = n.opType === 'Cast' && (n.domain ?? '') === '' ? this.foldCast(n, index, inits, defined) : this.planNode(n, index, inits, defined, options);
        if (planned) plan.push(planned);
      });
      for (const o of this.outputs) if (!defined.has(o.name)) throw new IntrnnError('ERR_MODEL_GRAPH', `output '${o.name}'`, 'is produced by no node');
      this.checkMetadata();
    } catch (e) {
      for (const p of plan) p.kernel.dispose?.(); // a refused file holds no native memory
      throw e;
    }
  }

  /**
   * A Cast, folded at load into the constant it makes: the one Cast intrnn files hold turns an int4
   * table (an embedding) into int8 for a Gather, which ONNX defines on no int4 data. Any other Cast
   * is refused, so no engine has to define casts between other types.
   */
  private foldCast(n: INodeProto, index: number, inits: Map<string, Tensor>, defined: Set<string>): null {
    const name = n.name || `node${index}`;
    const [input, ...more] = n.input ?? [];
    const outputs = n.output ?? [];
    const to = (n.attribute ?? []).find((a) => a.name === 'to');
    const source = input === undefined ? undefined : inits.get(input);
    if (more.length || outputs.length !== 1 || !source || source.type !== 'int4' || !to || to.type !== AttributeType.INT || toNumber(to.i) !== DataType.INT8)
      throw new IntrnnError('ERR_MODEL_UNSUPPORTED', `node ${name}`, 'Cast is supported only from one int4 initializer to int8 (to = 3), with one output');
    if (defined.has(outputs[0])) throw new IntrnnError('ERR_MODEL_GRAPH', `node ${name}`, `writes '${outputs[0]}', which is already defined`);
    inits.set(outputs[0], int8Values(source));
    defined.add(outputs[0]);
    return null;
  }

  /** Check one node against the ops, its signature and what is defined so far, and build its kernel. */
  private planNode(n: INodeProto, index: number, inits: Map<string, Tensor>, defined: Set<string>, options: LoadOptions): PlannedNode {
    const name = n.name || `node${index}`;
    const domain = n.domain ?? '';
    const op = n.opType ?? '';
    if (!(OPS.get(domain) ?? []).includes(op)) throw new IntrnnError('ERR_MODEL_UNSUPPORTED', `node ${name}`, `op ${domain ? `${domain}:` : ''}${op} is not an intrnn runtime op`);
    const inputs = n.input ?? [];
    for (const i of inputs) if (!defined.has(i)) throw new IntrnnError('ERR_MODEL_GRAPH', `node ${name}`, `reads '${i}' before anything produces it`);
    const sig = signatureOf(domain, op);
    if (sig && sig.since > this.opsetVersion)
      throw new IntrnnError('ERR_MODEL_VERSION', `node ${name}`, `op ${op} belongs to ai.intrnn version ${sig.since}, but the file imports version ${this.opsetVersion}`);
    if (sig) {
      // every input plays its role: a weight or table must be a constant, an activation must be computed or fed
      (sig.inputs as readonly InputSignature[]).forEach((spec, i) => {
        if (i >= inputs.length) return;
        if (spec.since !== undefined && spec.since > this.opsetVersion)
          throw new IntrnnError('ERR_MODEL_VERSION', `node ${name}`, `input ${spec.name} of ${op} belongs to ai.intrnn version ${spec.since}, but the file imports version ${this.opsetVersion}`);
        const constant = inits.has(inputs[i]);
        if (spec.role === 'constant' && !constant)
          throw new IntrnnError('ERR_MODEL_GRAPH', `node ${name}.${spec.name}`, `'${inputs[i]}' must be a constant initializer (a ${spec.type} ${spec.pwl ? 'PWL table' : 'weight or parameter'})`);
        if (spec.role === 'runtime' && constant && !spec.name.startsWith('initial_'))
          throw new IntrnnError('ERR_MODEL_GRAPH', `node ${name}.${spec.name}`, `'${inputs[i]}' is a constant, but this input is an activation computed at run time`);
      });
    }
    const outputs = n.output ?? [];
    for (const o of outputs) {
      if (defined.has(o)) throw new IntrnnError('ERR_MODEL_GRAPH', `node ${name}`, `writes '${o}', which is already defined`);
      defined.add(o);
    }
    const attributes = Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', attributeValue(a, `node ${name}.${a.name}`)]));
    const candidates = candidateKernels(op, `node ${name}`, options.backends ?? (options.backend ? [options.backend] : undefined));
    const { entry, kernel } = createKernel(candidates, { name, op, constants: inputs.map((i) => inits.get(i) ?? null), attributes }, (backend, reason) =>
      this.fallbacks.push({ node: name, backend, reason }),
    );
    return { name, op, backend: entry.backend, inputs, outputs, kernel, signature: sig };
  }

  /**
   * The metadata must describe the graph, read through the ops' signatures: every PWL table input
   * of an op has its entry (scales for inspection and plots) and every entry names one; every
   * described layer is an IntLSTM (or, for a GRU layer, IntGRU) node whose weights have the described shape. (Vocabulary sizes
   * are the task SDK's to check: it knows which input reads which vocabulary.)
   */
  private checkMetadata(): void {
    const m = this.metadata;
    const tables = new Set(this.pwlInputs().map((t) => t.table));
    for (const name of tables) if (!Object.hasOwn(m.pwlTables, name)) throw new IntrnnError('ERR_MODEL_INCONSISTENT', `metadata.pwlTables.${name}`, 'is missing for a table the graph evaluates');
    for (const name of Object.keys(m.pwlTables)) if (!tables.has(name)) throw new IntrnnError('ERR_MODEL_INCONSISTENT', `metadata.pwlTables.${name}`, 'names no PWL table input of the graph');
    for (const l of m.layers) {
      const [op, gates] = l.cell === 'gru' ? ['IntGRU', 3] : ['IntLSTM', 4];
      const node = this.plan.find((n) => n.name === l.node);
      if (node?.op !== op) throw new IntrnnError('ERR_MODEL_INCONSISTENT', `metadata.layers.${l.node}`, `names no ${op} node of the graph`);
      const w = this.initializers.get(node.inputs[1]);
      if (!w || w.dims[0] !== gates * l.hiddenSize || w.dims[1] !== l.inputSize)
        throw new IntrnnError('ERR_MODEL_INCONSISTENT', `metadata.layers.${l.node}`, `describes a [${gates * l.hiddenSize}, ${l.inputSize}] weight; the file has ${JSON.stringify(w?.dims ?? null)}`);
      if ((w.type === 'int4' ? 4 : 8) !== l.bits.weights)
        throw new IntrnnError('ERR_MODEL_INCONSISTENT', `metadata.layers.${l.node}.bits.weights`, `is ${l.bits.weights}; the file's weight ${node.inputs[1]} is ${w.type}`);
    }
  }

  /** Every PWL table input of the graph's ops: the node, the function, and its two tensors' names. */
  pwlInputs(): { node: string; fn: NonNullable<InputSignature['pwl']>; table: string; params: string }[] {
    const out: { node: string; fn: NonNullable<InputSignature['pwl']>; table: string; params: string }[] = [];
    for (const n of this.plan) {
      (n.signature?.inputs as readonly InputSignature[] | undefined)?.forEach((spec, i) => {
        if (spec.pwl && i + 1 < n.inputs.length && !out.some((o) => o.table === n.inputs[i])) out.push({ node: n.name, fn: spec.pwl, table: n.inputs[i], params: n.inputs[i + 1] });
      });
    }
    return out;
  }

  /** Rows of the constant table a Gather node looks up with the given graph input as indices (null if none does). */
  lookupRows(input: string): number | null {
    const n = this.plan.find((p) => p.op === 'Gather' && p.inputs[1] === input);
    return n ? (this.initializers.get(n.inputs[0])?.dims[0] ?? null) : null;
  }

  /** Rows of the weight of the IntDense node that computes the given graph output (null if none does). */
  denseRows(output: string): number | null {
    const n = this.plan.find((p) => p.op === 'IntDense' && p.outputs[0] === output);
    return n ? (this.initializers.get(n.inputs[1])?.dims[0] ?? null) : null;
  }

  /** Which backend serves each node (after {@link useReference} or the load option). */
  get backends(): Record<string, string> {
    return Object.fromEntries(this.plan.map((n) => [n.name, n.backend]));
  }

  /** The ops of the graph in execution order. */
  get nodes(): { name: string; op: string; inputs: string[]; outputs: string[] }[] {
    return this.plan.map(({ name, op, inputs, outputs }) => ({ name, op, inputs, outputs }));
  }

  /**
   * Run the graph. Every graph input must be fed with its element type and a shape that agrees with
   * the declared dims (symbolic dims consistently); returns every graph output.
   */
  run(feeds: Record<string, Tensor>): Record<string, Tensor> {
    this.requireLive();
    const values = this.checkFeeds(feeds);
    this.execute(values);
    return Object.fromEntries(this.outputs.map((o) => [o.name, values.get(o.name) ?? this.initializers.get(o.name)!]));
  }

  /**
   * Free the kernels' memory outside the JS heap (native and wasm weights) now, instead of when the
   * garbage collector finds the model (a finalizer stays the backstop). Later runs are refused with
   * ERR_DISPOSED; disposing twice is harmless. {@link IntrnnModel.initializers} empties: a model
   * from `loadModelFile` borrowed its file's bytes, which the next `loadModelFile` reads into, so
   * tensors taken from it (or constant outputs of its runs) must not be read after this.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const node of this.plan) node.kernel.dispose?.();
    (this.initializers as Map<string, Tensor>).clear(); // views into bytes a file loader may reuse
    const hook = disposeHooks.get(this);
    disposeHooks.delete(this);
    hook?.();
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private requireLive(): void {
    if (this.disposed) throw new IntrnnError('ERR_DISPOSED', 'model', 'was disposed; load it again to run it');
  }

  /** The feeds as the first runtime values, after checking names, types and shapes. */
  private checkFeeds(feeds: Record<string, Tensor>): Map<string, Tensor> {
    const values = new Map<string, Tensor>(); // runtime values; constants stay in this.initializers
    const symbols = new Map<string, number>();
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some((i) => i.name === name)) throw new IntrnnError('ERR_FEED_NAME', `feed '${name}'`, `is not an input of this model (inputs: ${this.inputs.map((i) => i.name).join(', ')})`);
    }
    for (const spec of this.inputs) {
      const t = feeds[spec.name];
      if (!t) throw new IntrnnError('ERR_FEED_MISSING', `feed '${spec.name}'`, 'is required');
      if (typeof t !== 'object') throw new IntrnnError('ERR_FEED_TYPE', `feed '${spec.name}'`, `is a ${typeof t}, not a tensor { type, dims, data }`);
      if (t.type !== spec.type) throw new IntrnnError('ERR_FEED_TYPE', `feed '${spec.name}'`, `is ${t.type}, expected ${spec.type}`);
      // the data must be the typed array of its type: a Float64Array of token ids or a plain array would be read as something else
      if (!(t.data instanceof FEED_ARRAYS[spec.type])) {
        const got = t.data === null || typeof t.data !== 'object' ? String(t.data) : ((t.data as object).constructor?.name ?? 'object');
        throw new IntrnnError('ERR_FEED_TYPE', `feed '${spec.name}'.data`, `is ${got}; a ${spec.type} tensor holds a ${FEED_ARRAYS[spec.type].name}`);
      }
      if (!Array.isArray(t.dims) || t.dims.length !== spec.dims.length || t.data.length !== product(t.dims)) {
        throw new IntrnnError('ERR_SHAPE', `feed '${spec.name}'`, `has dims ${JSON.stringify(t.dims)} and ${t.data.length} values; expected rank ${spec.dims.length} ${JSON.stringify(spec.dims)}`);
      }
      spec.dims.forEach((d, i) => {
        const got = t.dims[i];
        if (!Number.isInteger(got) || got < 1) throw new IntrnnError('ERR_SHAPE', `feed '${spec.name}'`, `dim ${i} is ${got}; dims must be positive integers`);
        if (typeof d === 'number' && d !== got) throw new IntrnnError('ERR_SHAPE', `feed '${spec.name}'`, `dim ${i} is ${got}, expected ${d}`);
        if (typeof d === 'string') {
          const seen = symbols.get(d);
          if (seen !== undefined && seen !== got) throw new IntrnnError('ERR_SHAPE', `feed '${spec.name}'`, `dim ${i} ('${d}') is ${got}, but another input has ${d} = ${seen}`);
          symbols.set(d, got);
        }
      });
      values.set(spec.name, t);
    }
    return values;
  }

  private execute(values: Map<string, Tensor>): void {
    let arena: RunArena;
    if (this.recycled) {
      this.turn ^= 1;
      arena = this.recycled[this.turn];
      arena.recycle(this.arenaBytes);
    } else arena = new RunArena(this.arenaBytes);
    for (const node of this.plan) {
      const outs = node.kernel.run(
        node.inputs.map((i) => values.get(i) ?? this.initializers.get(i)!),
        arena,
      );
      node.outputs.forEach((o, i) => values.set(o, outs[i]));
    }
    this.arenaBytes = arena.requested;
  }

  /**
   * Where a run's time goes: each node's kernel timed alone on the inputs this run gives it (median
   * of `calls`), beside the median of whole runs. For benchmarks and tuning; feeds are checked as in run.
   */
  profile(feeds: Record<string, Tensor>, calls = 200): { nodes: { name: string; op: string; backend: string; us: number }[]; runUs: number } {
    this.requireLive();
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
    const values = this.checkFeeds(feeds);
    this.execute(values);
    // Outputs of the timed calls are dropped, so one arena is rewound and reused: a node's time is its kernel's.
    const scratch = new RunArena(this.arenaBytes);
    const nodes = this.plan.map((node) => {
      const inputs = node.inputs.map((i) => values.get(i) ?? this.initializers.get(i)!);
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        scratch.rewind();
        const t0 = performance.now();
        node.kernel.run(inputs, scratch);
        times.push((performance.now() - t0) * 1000);
      }
      return { name: node.name, op: node.op, backend: node.backend, us: median(times) };
    });
    const runs: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      this.run(feeds);
      runs.push((performance.now() - t0) * 1000);
    }
    return { nodes, runUs: median(runs) };
  }
}

/** Load and plan an intrnn integer model from ONNX bytes. Bad files get typed errors naming the field. */
export function loadModel(bytes: Uint8Array, options?: LoadOptions): IntrnnModel {
  return new IntrnnModel(bytes, options);
}
