import { IntrnnError, isIntrnnError } from '@intrnn/format';
import type { Tensor } from '@intrnn/format';
import type { OutputAllocator } from './arena.js';

/** A node as the executor hands it to a kernel factory: constant inputs resolved, attributes decoded. */
export interface NodeSpec {
  name: string;
  op: string;
  /** Each input's initializer when it is a constant, else null (a runtime value). */
  constants: (Tensor | null)[];
  attributes: Record<string, number | string | number[]>;
}

/** A kernel instance, built once per node at load time (weights packed), run per call. */
export interface KernelInstance {
  /** Run on the inputs; returned tensors are allocated from `out` (the executor's per-run arena) when given. */
  run(inputs: Tensor[], out?: OutputAllocator): Tensor[];
  /** Free what the instance holds outside the JS heap (a native or wasm kernel handle) now; optional. */
  dispose?(): void;
}

/** A registered kernel: which op it serves on which backend, and how much it is preferred. */
export interface KernelEntry {
  op: string;
  backend: string;
  /** Higher wins; the reference kernels register at 0. */
  priority: number;
  create(node: NodeSpec): KernelInstance;
}

const registry = new Map<string, KernelEntry[]>();
let referenceOnly = false;

/** Register a kernel for an op. A second kernel for the same (op, backend) pair is refused: two would be ambiguous. */
export function registerKernel(entry: KernelEntry): void {
  const list = registry.get(entry.op) ?? [];
  if (list.some((e) => e.backend === entry.backend)) throw new IntrnnError('ERR_REGISTRY', `${entry.op}/${entry.backend}`, 'a kernel is already registered for this op and backend');
  list.push(entry);
  list.sort((a, b) => b.priority - a.priority);
  registry.set(entry.op, list);
}

/** Force the reference kernels (backend `reference`) for models loaded from now on, or lift that. */
export function useReference(on: boolean): void {
  referenceOnly = on;
}

/** Whether {@link useReference} is on. */
export function isReferenceOnly(): boolean {
  return referenceOnly;
}

/** The kernels registered for an op, best first. */
export function kernelsFor(op: string): readonly KernelEntry[] {
  return registry.get(op) ?? [];
}

/**
 * The kernels that may serve an op, in order of preference: with `backends`, those backends' kernels
 * in that order (e.g. ['native', 'core', 'reference']); else the reference one under
 * {@link useReference}, else every kernel by priority.
 */
export function candidateKernels(op: string, where: string, backends?: readonly string[]): KernelEntry[] {
  const list = kernelsFor(op);
  const want = backends ?? (referenceOnly ? ['reference'] : undefined);
  const hits = want ? want.map((b) => list.find((e) => e.backend === b)).filter((e): e is KernelEntry => e !== undefined) : [...list];
  if (hits.length === 0) throw new IntrnnError('ERR_MODEL_UNSUPPORTED', where, `op ${op} has no kernel${want ? ` on backend ${want.map((b) => `'${b}'`).join(' or ')}` : ''}`);
  return hits;
}

/** The preferred kernel of an op ({@link candidateKernels}' first). */
export function selectKernel(op: string, where: string, backends?: readonly string[]): KernelEntry {
  return candidateKernels(op, where, backends)[0];
}

/**
 * Build a node's kernel on the first candidate whose `create` succeeds. A candidate that fails for
 * a reason of its own (its backend's error, e.g. an addon limit) gives way to the next, and the
 * reason is recorded; a typed error about the model itself is raised at once, so every backend
 * refuses a bad file the same way.
 */
export function createKernel(candidates: readonly KernelEntry[], node: NodeSpec, onFallback: (backend: string, reason: string) => void): { entry: KernelEntry; kernel: KernelInstance } {
  for (let i = 0; i < candidates.length; i++) {
    try {
      return { entry: candidates[i], kernel: candidates[i].create(node) };
    } catch (e) {
      const last = i === candidates.length - 1;
      const modelError = isIntrnnError(e) && e.code !== 'ERR_NATIVE' && e.code !== 'ERR_BACKEND';
      if (last || modelError) throw e;
      onFallback(candidates[i].backend, e instanceof Error ? e.message : String(e));
    }
  }
  throw new IntrnnError('ERR_MODEL_UNSUPPORTED', node.name, 'no kernel'); // unreachable: the loop returns or throws
}
