import { Command, Option } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { LM_PRESETS, evalLmCheckpoint, trainLm } from '@intrnn/qat';
import { markdownTable } from 'markdown-table';
import { parseInteger } from '../parse.js';
import { progressReporter } from '../progress.js';
import type { Io } from '../io.js';

const TASKS = ['lm-brown', 'pos-brown', 'g2p-cmudict'];

function requireLm(task: string): void {
  if (task !== 'lm-brown') {
    throw new IntrnnError('ERR_NOT_AVAILABLE', '--task', `${task} training is not built yet (issue 7 continues); lm-brown is available`);
  }
}

/** `intrnn train` and `intrnn eval-qat`. */
export function registerTrain(program: Command, io: Io): void {
  program
    .command('train')
    .description('train a model: float pretraining, or QAT fine-tuning from a float checkpoint (--qat-from)')
    .addOption(new Option('--task <task>', 'what to train').choices(TASKS).makeOptionMandatory())
    .addOption(new Option('--preset <name>', 'model and training size').choices(Object.keys(LM_PRESETS)).default('small'))
    .requiredOption('--out <dir>', 'directory for checkpoints (written every few minutes and at the end)')
    .option('--qat-from <dir>', 'float checkpoint to fine-tune with quantization-aware training')
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--steps <n>', "override the preset's number of steps", parseInteger)
    .option('--checkpoint-every <seconds>', 'seconds between checkpoints (default 300)', parseInteger)
    .option('--json', 'print one JSON object with the figures')
    .action(async (o: { task: string; preset: string; out: string; qatFrom?: string; resume?: boolean; steps?: number; checkpointEvery?: number; json?: boolean }) => {
      requireLm(o.task);
      if (o.steps !== undefined && o.steps < 1) throw new IntrnnError('ERR_OPTION', '--steps', 'must be at least 1');
      const progress = progressReporter(io);
      const r = await trainLm({ preset: o.preset, outDir: o.out, qatFrom: o.qatFrom, resume: o.resume, steps: o.steps, checkpointEverySeconds: o.checkpointEvery, onProgress: progress.update });
      progress.stop();
      if (o.json) {
        io.out.write(JSON.stringify(r) + '\n');
        return;
      }
      io.out.write(
        markdownTable([
          ['task', 'preset', 'mode', 'steps', 'initial loss', 'final loss', 'tokens/s', 'valid perplexity', 'checkpoint'],
          [r.task, r.preset, r.mode, String(r.steps), r.initialLoss.toFixed(3), r.finalLoss.toFixed(3), r.tokensPerSecond.toFixed(0), r.validation ? r.validation.perplexity.toFixed(2) : "-", r.outDir],
        ]) + '\n',
      );
    });

  program
    .command('eval-qat')
    .description('evaluate a training checkpoint (float or QAT) on a split')
    .argument('<dir>', 'checkpoint directory (from intrnn train)')
    .addOption(new Option('--split <split>', 'which split').choices(['valid', 'test']).default('valid'))
    .option('--json', 'print one JSON object with the figures')
    .action(async (dir: string, o: { split: 'valid' | 'test'; json?: boolean }) => {
      const progress = progressReporter(io);
      const r = await evalLmCheckpoint(dir, o.split, progress.update);
      progress.stop();
      if (o.json) io.out.write(JSON.stringify(r) + '\n');
      else io.out.write(markdownTable([['task', 'split', 'mode', 'tokens', 'perplexity'], [r.task, r.split, r.mode, String(r.tokens), r.perplexity.toFixed(2)]]) + '\n');
    });
}
