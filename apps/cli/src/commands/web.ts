import type { Command } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { parseInteger } from '../parse.js';
import type { Io } from '../io.js';

/** `intrnn web`: build the browser app and serve it on localhost until interrupted. */
export function registerWeb(program: Command, io: Io): void {
  program
    .command('web')
    .description('build the browser app (the shipped models in runtime-core, in a Web Worker) and serve it on 127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', parseInteger, 5173)
    .option('--no-build', 'serve the existing build (apps/web/dist) without rebuilding')
    .action(async (o: { port: number; build: boolean }) => {
      if (o.port < 0 || o.port > 65535) throw new IntrnnError('ERR_OPTION', '--port', `${o.port} is not a port number`);
      // vite loads only for this command
      const { serveWeb } = await import('@intrnn/web/server');
      let served: Awaited<ReturnType<typeof serveWeb>>;
      try {
        served = await serveWeb({ port: o.port, rebuild: o.build, log: (m) => io.err.write(`${m}\n`) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new IntrnnError('ERR_OPTION', '--port', `${o.port} is in use; pick another or --port 0`);
        throw e;
      }
      io.out.write(`intrnn web: serving ${served.url}  (Ctrl-C to stop)\n`);
    });
}
