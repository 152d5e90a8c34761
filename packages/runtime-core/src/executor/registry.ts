import { IntrnnError } from '@intrnn/format';
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

/** Register a kernel for an op (keyed by op and backend; re-registering a pair replaces it). */
export function registerKernel(entry: KernelEntry): void {
  const list = (registry.get(entry.op) ?? []).filter((e) => e.backend !== entry.backend);
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
 * The kernel that serves an op: with `backends`, the first of those backends that has one (a
 * preference list, e.g. ['native', 'core', 'reference']); else the reference one under
 * {@link useReference}, else the highest priority.
 */
export function selectKernel(op: string, where: string, backends?: readonly string[]): KernelEntry {
  const list = kernelsFor(op);
  const want = backends ?? (referenceOnly ? ['reference'] : undefined);
  const hit = want ? want.map((b) => list.find((e) => e.backend === b)).find((e) => e !== undefined) : list[0];
  if (!hit) throw new IntrnnError('ERR_MODEL_UNSUPPORTED', where, `op ${op} has no kernel${want ? ` on backend ${want.map((b) => `'${b}'`).join(' or ')}` : ''}`);
  return hit;
}
