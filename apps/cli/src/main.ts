import { Command, CommanderError } from 'commander';
import { isIntrnnError } from '@intrnn/format';
import { processIo, type Io } from './io.js';

type Register = (program: Command, io: Io) => void;

/**
 * Each command's module, loaded only when its command runs (or for help): a command's imports
 * (the PWL search, the training stack's entry points, vite) cost nothing to the others' startup.
 */
const MODULES: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['pwl'], load: async () => (await import('./commands/pwl.js')).registerPwl },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemo },
  { commands: ['train', 'eval-qat'], load: async () => (await import('./commands/train.js')).registerTrain },
  { commands: ['convert', 'eval', 'inspect', 'run'], load: async () => (await import('./commands/model.js')).registerModelCommands },
  { commands: ['bench'], load: async () => (await import('./commands/bench.js')).registerBench },
  { commands: ['web'], load: async () => (await import('./commands/web.js')).registerWeb },
];

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
  // the command is the first argument that is not an option; help, no command or an unknown one
  // loads every module (help lists them); --version alone needs none
  const name = argv.find((a) => !a.startsWith('-'));
  const versionOnly = name === undefined && argv.some((a) => a === '--version' || a === '-V');
  const only = MODULES.filter((m) => name !== undefined && m.commands.includes(name));
  if (!versionOnly) for (const m of only.length ? only : MODULES) (await m.load())(program, io);
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
