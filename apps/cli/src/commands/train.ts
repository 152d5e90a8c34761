import { Command, Option } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { G2P_PRESETS, LM_PRESETS, POS_PRESETS, evalCheckpoint, trainG2p, trainLm, trainPos } from '@intrnn/qat';
import { markdownTable } from 'markdown-table';
import { parseInteger } from '../parse.js';
import { progressReporter } from '../progress.js';
import type { Io } from '../io.js';

const TASKS = ['lm-brown', 'pos-brown', 'g2p-cmudict'];


/** `intrnn train` and `intrnn eval-qat`. */
export function registerTrain(program: Command, io: Io): void {
  program
    .command('train')
    .description('train a model: float pretraining, or QAT fine-tuning from a float checkpoint (--qat-from)')
    .addOption(new Option('--task <task>', 'what to train').choices(TASKS).makeOptionMandatory())
    .addOption(new Option('--preset <name>', 'model and training size').choices([...new Set([...Object.keys(LM_PRESETS), ...Object.keys(POS_PRESETS), ...Object.keys(G2P_PRESETS)])]).default('small'))
    .requiredOption('--out <dir>', 'directory for checkpoints (written every few minutes and at the end)')
    .option('--qat-from <dir>', 'float checkpoint to fine-tune with quantization-aware training')
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--steps <n>', "override the preset's number of steps", parseInteger)
    .option('--checkpoint-every <seconds>', 'seconds between checkpoints (default 300)', parseInteger)
    .option('--workers <n>', 'threads of the native training kernels (default: the cores; results do not depend on it)', parseInteger)
    .option('--json', 'print one JSON object with the figures')
    .action(async (o: { task: string; preset: string; out: string; qatFrom?: string; resume?: boolean; steps?: number; checkpointEvery?: number; workers?: number; json?: boolean }) => {
      if (o.steps !== undefined && o.steps < 1) throw new IntrnnError('ERR_OPTION', '--steps', 'must be at least 1');
      if (o.workers !== undefined && (o.workers < 1 || o.workers > 256)) throw new IntrnnError('ERR_OPTION', '--workers', 'must be between 1 and 256');
      const progress = progressReporter(io);
      const common = { preset: o.preset, outDir: o.out, qatFrom: o.qatFrom, resume: o.resume, steps: o.steps, checkpointEverySeconds: o.checkpointEvery, workers: o.workers, onProgress: progress.update };
      const r = o.task === 'pos-brown' ? await trainPos(common) : o.task === 'g2p-cmudict' ? await trainG2p(common) : await trainLm(common);
      progress.stop();
      if (o.json) {
        io.out.write(JSON.stringify(r) + '\n');
        return;
      }
      const v = r.validation;
      const metric = !v ? '-' : 'perplexity' in v ? `perplexity ${v.perplexity.toFixed(2)}` : 'accuracy' in v ? `accuracy ${(100 * v.accuracy).toFixed(2)}%` : `PER ${(100 * v.per).toFixed(2)}%, WER ${(100 * v.wer).toFixed(2)}%`;
      io.out.write(
        markdownTable([
          ['task', 'preset', 'mode', 'steps', 'initial loss', 'final loss', 'tokens/s', 'validation', 'checkpoint'],
          [r.task, r.preset, r.mode, String(r.steps), r.initialLoss.toFixed(3), r.finalLoss.toFixed(3), r.tokensPerSecond.toFixed(0), metric, r.outDir],
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
      const r = await evalCheckpoint(dir, o.split, progress.update);
      progress.stop();
      if (o.json) io.out.write(JSON.stringify(r) + '\n');
      else io.out.write(markdownTable([Object.keys(r), Object.values(r).map((v) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v)))]) + '\n');
    });
}
