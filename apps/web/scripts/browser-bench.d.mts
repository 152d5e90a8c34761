/** Per-token latency in headless Chromium (browser-bench.mjs). */
export function benchInChromium(job: { integer: Uint8Array; peers: Record<string, Uint8Array>; ids: number[]; calls: number; block: number }): Promise<{
  usPerToken: Record<string, number>;
  /** runtime-wasm per node in the page: IntrnnModel.profile. */
  profile: { nodes: { name: string; op: string; backend: string; us: number }[]; runUs: number };
  kernels: string;
  userAgent: string;
}>;
