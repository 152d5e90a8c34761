/**
 * `@intrnn/runtime-native`: intrnn's int8 kernels in Rust (AVX-512 VNNI, AVX2, NEON and scalar
 * paths chosen at run time), bound through Node-API declared by hand, bit-exact with runtime-core.
 *
 * {@link registerNativeKernels} puts them in runtime-core's kernel registry (backend `native`,
 * priority 20) so models loaded afterwards use them; if the addon is missing or fails to load,
 * runtime-core keeps serving with its own kernels and the result says why.
 * @packageDocumentation
 */
import { registerKernel } from '@intrnn/runtime-core';
import { loadAddon } from './addon.js';
import { nativeKernels } from './kernels.js';

export { loadAddon } from './addon.js';
export type { NativeAddon } from './addon.js';
export { nativeKernels } from './kernels.js';

let registered: { ok: boolean; reason: string } | undefined;

/**
 * Register the native kernels once. Returns whether they are in use and why (the addon's version
 * and instruction path, or why it could not load); a caller that cannot use them says so once.
 */
export function registerNativeKernels(): { ok: boolean; reason: string } {
  if (registered) return registered;
  const { addon, reason } = loadAddon();
  if (addon) for (const k of nativeKernels(addon)) registerKernel(k);
  registered = { ok: addon !== null, reason };
  return registered;
}
