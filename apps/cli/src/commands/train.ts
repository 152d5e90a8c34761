import { type Command, Option } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { TASKS, taskEntry } from '@intrnn/tasks';
import { markdownTable } from 'markdown-table';
import { parseInteger } from '../parse.js';
import { progressReporter } from '../progress.js';
import type { Io } from '../io.js';

/** `intrnn train` and `intrnn eval-qat`. */
export function registerTrain(program: Command, io: Io): void {
  program
    .command('train')
    .description('train a model: float pretraining, or QAT fine-tuning from a float checkpoint (--qat-from)')
    .addOption(new Option('--task <task>', 'what to train').choices(Object.keys(TASKS)).makeOptionMandatory())
    .addOption(new Option('--preset <name>', 'model and training size').choices([...new Set(Object.values(TASKS).flatMap((t) => t.presets))]).default('small'))
    .requiredOption('--out <dir>', 'directory for checkpoints (written every few minutes and at the end)')
    .option('--qat-from <dir>', 'float checkpoint to fine-tune with quantization-aware training')
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--steps <n>', "override the preset's number of steps", parseInteger)
    .option('--checkpoint-every <seconds>', 'seconds between checkpoints (default 300)', parseInteger)
    .option('--workers <n>', 'threads of the native training kernels (default: the cores; results do not depend on it)', parseInteger)
    .addOption(new Option('--cell <cell>', "recurrent cell: lstm or gru (ai.intrnn:IntGRU; language models and taggers); default: the preset's").choices(['lstm', 'gru']))
    .addOption(new Option('--weight-bits <bits>', "width of the recurrent layers' integer weights in QAT fine-tuning: 8, or 4 (int4, packed two per byte; language models)").choices(['4', '8']))
    .option('--json', 'print one JSON object with the figures')
    .action(
      async (o: {
        task: string;
        preset: string;
        out: string;
        qatFrom?: string;
        resume?: boolean;
        steps?: number;
        checkpointEvery?: number;
        workers?: number;
        cell?: 'lstm' | 'gru';
        weightBits?: '4' | '8';
        json?: boolean;
      }) => {
        if (o.steps !== undefined && o.steps < 1) throw new IntrnnError('ERR_OPTION', '--steps', 'must be at least 1');
        if (o.workers !== undefined && (o.workers < 1 || o.workers > 256)) throw new IntrnnError('ERR_OPTION', '--workers', 'must be between 1 and 256');
        if (o.checkpointEvery !== undefined && (o.checkpointEvery < 1 || o.checkpointEvery > 86_400)) throw new IntrnnError('ERR_OPTION', '--checkpoint-every', 'must be between 1 and 86400 seconds');
        const progress = progressReporter(io);
        const common = {
          preset: o.preset,
          outDir: o.out,
          qatFrom: o.qatFrom,
          resume: o.resume,
          steps: o.steps,
          checkpointEverySeconds: o.checkpointEvery,
          workers: o.workers,
          cell: o.cell,
          weightBits: o.weightBits === undefined ? undefined : Number(o.weightBits),
          onProgress: progress.update,
        };
        const r = await taskEntry(o.task, '--task').train(common);
        progress.stop();
        if (o.json) {
          io.out.write(JSON.stringify(r) + '\n');
          return;
        }
        const v = r.validation as Record<string, number> | null;
        const metric = !v
          ? '-'
          : 'perplexity' in v
            ? `perplexity ${v.perplexity.toFixed(2)}`
            : 'accuracy' in v
              ? `accuracy ${(100 * v.accuracy).toFixed(2)}%`
              : `PER ${(100 * v.per).toFixed(2)}%, WER ${(100 * v.wer).toFixed(2)}%`;
        io.out.write(
          markdownTable([
            ['task', 'preset', 'mode', 'steps', 'initial loss', 'final loss', 'tokens/s', 'validation', 'checkpoint'],
            [r.task, r.preset, r.mode, String(r.steps), r.initialLoss.toFixed(3), r.finalLoss.toFixed(3), r.tokensPerSecond.toFixed(0), metric, r.outDir],
          ]) + '\n',
        );
      },
    );

  program
    .command('eval-qat')
    .description('evaluate a training checkpoint (float or QAT) on a split')
    .argument('<dir>', 'checkpoint directory (from intrnn train)')
    .addOption(new Option('--split <split>', 'which split').choices(['valid', 'test']).default('valid'))
    .option('--json', 'print one JSON object with the figures')
    .action(async (dir: string, o: { split: 'valid' | 'test'; json?: boolean }) => {
      const progress = progressReporter(io);
      const { evalCheckpoint } = await import('@intrnn/tasks');
      const r = await evalCheckpoint(dir, o.split, progress.update);
      progress.stop();
      if (o.json) io.out.write(JSON.stringify(r) + '\n');
      else io.out.write(markdownTable([Object.keys(r), Object.values(r).map((v) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)))]) + '\n');
    });
}
