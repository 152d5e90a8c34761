/**
 * `@intrnn/runtime-wasm`: intrnn's int8 kernels in WebAssembly SIMD, for browsers, Web Workers,
 * Deno, Bun and any Node: the same Rust source as runtime-native (crate/src), built for
 * `wasm32-unknown-unknown` with simd128, bit-exact with runtime-core.
 *
 * `await registerWasmKernels()` puts them in runtime-core's kernel registry (backend `wasm`,
 * priority 15: above the TypeScript twins at 10, below runtime-native's 20) so models loaded
 * afterwards use them. If WebAssembly SIMD is missing or the module cannot load, runtime-core keeps
 * serving and the result says why.
 * @packageDocumentation
 */
import { handleKernels, registerKernel, type KernelEntry } from '@intrnn/runtime-core';
import { instantiateKernels, type WasmKernelLibrary } from './library.js';

export { WasmKernelLibrary, WASM_PATHS } from './library.js';

/** Where the module comes from: its bytes, a compiled module, a URL to fetch, or (default) the file beside this package. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string;

/** The module file this package builds (wasm/intrnn-kernels.wasm); bundlers see this literal and ship the file. */
export const WASM_URL = new URL('../wasm/intrnn-kernels.wasm', import.meta.url);

function isNode(): boolean {
  // read through globalThis: no Node types in a package meant for browsers too
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
}

async function bytesOf(source: WasmSource | undefined): Promise<BufferSource | WebAssembly.Module> {
  if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return source;
  const url = source === undefined ? WASM_URL : new URL(String(source), WASM_URL);
  if (url.protocol === 'file:' && isNode()) {
    // a variable specifier keeps bundlers from pulling node:fs into browser builds
    const fs = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fs)) as { readFile(path: URL): Promise<Uint8Array> };
    return new Uint8Array(await readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.href}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

let loaded: Promise<{ library: WasmKernelLibrary | null; reason: string }> | undefined;

/**
 * Load the module once; without it, `reason` says why (no WebAssembly, no SIMD, not built, a load
 * error). A later call with another source reuses the first result.
 */
export function loadWasmKernels(source?: WasmSource): Promise<{ library: WasmKernelLibrary | null; reason: string }> {
  loaded ??= (async () => {
    if (typeof WebAssembly !== 'object') return { library: null, reason: 'this JavaScript engine has no WebAssembly' };
    let bytes: BufferSource | WebAssembly.Module;
    try {
      bytes = await bytesOf(source);
    } catch (e) {
      return { library: null, reason: `the wasm kernels are not available (${(e as Error).message}; built by pnpm --filter @intrnn/runtime-wasm build)` };
    }
    if (!(bytes instanceof WebAssembly.Module) && !WebAssembly.validate(bytes)) {
      return { library: null, reason: 'this engine cannot run the wasm kernels (no WebAssembly SIMD, or the file is damaged)' };
    }
    try {
      const library = await instantiateKernels(bytes);
      return { library, reason: library.info() };
    } catch (e) {
      return { library: null, reason: `the wasm kernels failed to load: ${(e as Error).message}` };
    }
  })();
  return loaded;
}

/** The wasm kernels as registry entries (backend `wasm`, priority 15). */
export function wasmKernels(library: WasmKernelLibrary): KernelEntry[] {
  return handleKernels(library, { backend: 'wasm', priority: 15, errorCode: 'ERR_BACKEND' });
}

let registered: Promise<{ ok: boolean; reason: string }> | undefined;

/**
 * Register the wasm kernels once. Resolves to whether they are in use and why (the path and memory,
 * or why not); a caller that cannot use them should say so once.
 */
export function registerWasmKernels(options: { source?: WasmSource } = {}): Promise<{ ok: boolean; reason: string }> {
  registered ??= loadWasmKernels(options.source).then(({ library, reason }) => {
    if (library) for (const k of wasmKernels(library)) registerKernel(k);
    return { ok: library !== null, reason };
  });
  return registered;
}
