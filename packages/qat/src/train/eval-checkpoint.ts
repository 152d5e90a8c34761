import { IntrnnError } from '@intrnn/format';
import { readCheckpointMeta } from './checkpoint.js';
import { evalLmCheckpoint } from './lm-task.js';
import { evalPosCheckpoint } from './pos-task.js';
import { evalG2pCheckpoint } from './g2p-task.js';
import type { TrainProgress } from './trainer.js';

/** Evaluate any training checkpoint on a split, by the task it records (perplexity, token accuracy, or phoneme and word error rates). */
export async function evalCheckpoint(dir: string, split: 'valid' | 'test', onProgress?: (p: TrainProgress) => void): Promise<Record<string, string | number>> {
  const { task } = readCheckpointMeta(dir); // metadata only: tensors wait for the backend
  if (task === 'lm-brown') return evalLmCheckpoint(dir, split, onProgress);
  if (task === 'pos-brown') return evalPosCheckpoint(dir, split, onProgress);
  if (task === 'g2p-cmudict') return evalG2pCheckpoint(dir, split, onProgress);
  throw new IntrnnError('ERR_CHECKPOINT', dir, `holds task ${task}, which this version cannot evaluate`);
}
