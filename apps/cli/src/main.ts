import { Command, CommanderError } from 'commander';
import { isIntrnnError } from '@intrnn/format';
import { registerDemo } from './commands/demo.js';
import { registerPwl } from './commands/pwl.js';
import { registerTrain } from './commands/train.js';
import { registerModelCommands } from './commands/model.js';
import { registerBench } from './commands/bench.js';
import { registerWeb } from './commands/web.js';
import { processIo, type Io } from './io.js';

/**
 * Run the `intrnn` command line on `argv` (without node and script). Returns the exit code:
 * 0 on success, 2 for bad input (a bad option or a typed IntrnnError, one clear line on stderr).
 */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = new Command('intrnn')
    .description('intrnn: train, convert and run integer-only recurrent neural networks')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.out.write(s), writeErr: (s) => void io.err.write(s) });
  registerPwl(program, io);
  registerDemo(program, io);
  registerTrain(program, io);
  registerModelCommands(program, io);
  registerBench(program, io);
  registerWeb(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed the message
    if (isIntrnnError(e)) {
      io.err.write(`intrnn: error: ${e.message}\n`);
      return 2;
    }
    throw e; // a bug, not bad input: keep the stack
  }
}
