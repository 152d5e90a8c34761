#!/usr/bin/env node
/**
 * Builds the app (vite, this package's vite.config.ts) into a temporary directory and measures the
 * runtime worker bundle: minified and gzipped (level 9) bytes, and which packages its bytes come from
 * (rolldown's rendered length per module, grouped by package). Prints JSON, or with --markdown the
 * summary docs/web.md embeds. Inputs: apps/web/src, the workspace packages it imports, and vite.config.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The package a bundled module belongs to: a node_modules package, or a workspace package by its folder. */
function owner(id) {
  const nm = id.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = id.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const ws = /\/(packages|apps)\/([^/]+)\//.exec(id);
  return ws ? `@intrnn/${ws[2]}` : id;
}

export async function measureBundle() {
  const outDir = mkdtempSync(join(tmpdir(), 'intrnn-web-'));
  const chunks = [];
  const collect = () => ({
    name: 'intrnn-bundle-size',
    generateBundle(_options, bundle) {
      for (const c of Object.values(bundle)) {
        if (c.type !== 'chunk') continue;
        const by = {};
        for (const [id, m] of Object.entries(c.modules)) by[owner(id)] = (by[owner(id)] ?? 0) + m.renderedLength;
        chunks.push({ file: c.fileName, packages: by });
      }
    },
  });
  try {
    await build({ root, logLevel: 'silent', build: { outDir, emptyOutDir: true }, plugins: [collect()], worker: { format: 'es', plugins: () => [collect()] } });
    const measured = chunks.map((c) => {
      const code = readFileSync(join(outDir, c.file));
      const total = Object.values(c.packages).reduce((a, b) => a + b, 0);
      const packages = Object.entries(c.packages)
        .sort((a, b) => b[1] - a[1])
        .map(([name, bytes]) => ({ name, renderedBytes: bytes, share: bytes / total }));
      return { file: c.file.replace(/-[A-Za-z0-9_-]{8}\.js$/, '.js'), minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, packages };
    });
    // the kernels' module ships beside the scripts as its own asset (fetched and compiled by the worker)
    const assets = join(outDir, 'assets');
    const wasm = readdirSync(assets)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => {
        const bytes = readFileSync(join(assets, f));
        return { file: f.replace(/-[A-Za-z0-9_-]{8}\.wasm$/, '.wasm'), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
      });
    return { worker: measured.find((c) => c.file.includes('worker')), page: measured.filter((c) => !c.file.includes('worker')), wasm };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function markdown(r) {
  const kb = (b) => (b / 1024).toFixed(1);
  const rows = r.worker.packages.filter((p) => p.share >= 0.005).map((p) => `| ${p.name} | ${kb(p.renderedBytes)} | ${(100 * p.share).toFixed(1)}% |`);
  return [
    `The runtime worker bundle (runtime-core, its format package, runtime-wasm's loader and the app's worker code; no models): **${kb(r.worker.gzipBytes)} KB gzipped** (level 9), ${kb(r.worker.minifiedBytes)} KB minified.`,
    `The wasm kernels (runtime-wasm, fetched by the worker): ${r.wasm.map((w) => `${w.file} **${kb(w.gzipBytes)} KB gzipped**, ${kb(w.bytes)} KB raw`).join('; ')}.`,
    `The page's own script: ${r.page.map((c) => `${kb(c.gzipBytes)} KB gzipped`).join(', ')} (uPlot and the UI).`,
    '',
    'What the worker bundle is made of (bytes each package contributes before minification, so the shares are approximate):',
    '',
    '| package | KB before minification | share |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await measureBundle();
  if (process.argv.includes('--markdown')) console.log(markdown(r));
  else console.log(JSON.stringify(r, null, 2));
}
