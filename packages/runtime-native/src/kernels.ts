import { handleKernels, type KernelEntry } from '@intrnn/runtime-core';
import type { NativeAddon } from './addon.js';

/** The native kernels (backend `native`, priority 20: above runtime-wasm's 15 and runtime-core's `core` twins at 10). */
export function nativeKernels(addon: NativeAddon): KernelEntry[] {
  return handleKernels(addon, { backend: 'native', priority: 20, errorCode: 'ERR_NATIVE' });
}
