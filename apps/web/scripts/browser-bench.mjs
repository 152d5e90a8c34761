/**
 * Per-token latency in a real browser: builds apps/web/bench (vite) into a temporary directory,
 * serves it and the given model files from 127.0.0.1, and runs the page's benchmark in headless
 * Chromium (Debian's, driven by playwright-core; CHROMIUM_PATH overrides). Used by
 * tools/bench-report.ts; `benchInChromium` resolves to the page's medians (µs per token).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench');
// Cross-origin isolation: without it Chromium coarsens performance.now() to 100 µs, too coarse for
// per-call timing (the engines still run one thread: ORT's numThreads is set to 1).
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/**
 * @param {{ integer: Uint8Array, peers: Record<string, Uint8Array>, ids: number[], calls: number, block: number }} job
 * @returns {Promise<{ usPerToken: Record<string, number>, profile: object, kernels: string, userAgent: string }>}
 */
export async function benchInChromium(job) {
  const out = mkdtempSync(join(tmpdir(), 'intrnn-browser-bench-'));
  let server;
  let browser;
  try {
    await build({ root, base: './', logLevel: 'silent', build: { outDir: out, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 } });
    const models = new Map([['integer.onnx', job.integer], ...Object.entries(job.peers).map(([k, v]) => [`${k}.onnx`, v])]);
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const model = path.startsWith('/models/') ? models.get(path.slice('/models/'.length)) : undefined;
      if (model) {
        res.writeHead(200, { ...ISOLATED, 'content-type': 'application/octet-stream' }).end(model);
        return;
      }
      const file = normalize(join(out, path === '/' ? 'index.html' : path));
      if (!file.startsWith(out)) return res.writeHead(403).end();
      let body;
      try {
        body = readFileSync(file);
      } catch {
        return res.writeHead(404).end();
      }
      res.writeHead(200, { ...ISOLATED, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${server.address().port}/`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => 'intrnnBench' in window, undefined, { timeout: 60_000 });
    const cfg = { integer: `${url}models/integer.onnx`, peers: Object.fromEntries(Object.keys(job.peers).map((k) => [k, `${url}models/${k}.onnx`])), ids: job.ids, calls: job.calls, block: job.block };
    const r = await page.evaluate((c) => window.intrnnBench(c), cfg);
    if (errors.length) throw new Error(`the benchmark page failed: ${errors.join('; ')}`);
    return r;
  } finally {
    await browser?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
  }
}
