/**
 * Builds and serves the web app: `npx intrnn web`, `npm run web`, and the browser test. Vite's own
 * preview server serves the built files; it listens on 127.0.0.1 only.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

export const webRoot = dirname(fileURLToPath(import.meta.url));

/** Build the app (unless `build: false` and a build exists) and serve it; resolves to its address. */
export async function serveWeb({ port = 5173, rebuild = true, log = () => {} } = {}) {
  const dist = join(webRoot, 'dist');
  if (rebuild || !existsSync(join(dist, 'index.html'))) {
    log('building the app (vite)…');
    await build({ root: webRoot, logLevel: 'warn' });
  }
  const server = await preview({ root: webRoot, logLevel: 'warn', preview: { host: '127.0.0.1', port, strictPort: port !== 0, open: false } });
  const address = server.httpServer.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/`;
  return { url, close: () => server.close() };
}

// `node server.mjs [--port N] [--no-build]`: serve until interrupted; the first stdout line is the address.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--port');
  const port = at >= 0 ? Number(args[at + 1]) : 5173;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) {
    process.stderr.write(`--port: ${args[at + 1]} is not a port number\n`);
    process.exit(2);
  }
  const { url } = await serveWeb({ port, rebuild: !args.includes('--no-build'), log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${url}\n`);
}
