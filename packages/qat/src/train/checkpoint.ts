import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IntrnnError, PwlTableSchema } from '@intrnn/format';
import { z } from 'zod';
import { tf } from '../qat/tf-backend.js';

const TensorEntry = z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), offset: z.number().int().nonnegative() });

const LstmQuantSchema = z.object({
  inputScale: z.number().positive(),
  hiddenScale: z.number().positive(),
  gateScale: z.number().positive(),
  cellFracBits: z.number().int(),
  norm: z.object({ normFracBits: z.number().int(), gammaScale: z.number().positive(), outScale: z.number().positive() }).nullable().default(null),
  sigmoid: PwlTableSchema,
  tanhGate: PwlTableSchema,
  tanhCell: PwlTableSchema,
});

/** The metadata of a training checkpoint (checkpoint.json); the tensors sit in weights.bin. */
export const CheckpointMetaSchema = z.object({
  format: z.literal('intrnn-qat-checkpoint'),
  version: z.literal(1),
  task: z.string(),
  preset: z.string(),
  mode: z.enum(['float', 'qat']),
  config: z.record(z.string(), z.number()),
  train: z.record(z.string(), z.number()),
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative(),
  dataFingerprint: z.string(),
  quant: z
    .object({
      embedScale: z.number().positive(),
      lstm: z.array(LstmQuantSchema),
      // G2P: the decoder's phoneme embedding scale and the integer attention
      g2p: z.object({ phoneScale: z.number().positive(), attention: z.object({ scoreMultiplier: z.number().int(), scoreShift: z.number().int(), expTable: PwlTableSchema }) }).optional(),
    })
    .nullable(),
  history: z.array(z.object({ step: z.number(), loss: z.number() })),
  initialLoss: z.number().nullable(),
  elapsedSeconds: z.number().nonnegative(),
  tensors: z.array(TensorEntry),
  optimizer: z.array(TensorEntry),
  state: z.array(TensorEntry),
});

export type CheckpointMeta = z.infer<typeof CheckpointMetaSchema>;
type Named = { name: string; tensor: tf.Tensor };

/** A loaded checkpoint: validated metadata and its tensors by group. */
export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  tensors: Map<string, tf.Tensor>;
  optimizer: Named[];
  state: Named[];
}

function layout(group: Named[], start: number): { entries: z.infer<typeof TensorEntry>[]; end: number } {
  let offset = start;
  const entries = group.map(({ name, tensor }) => {
    const e = { name, shape: tensor.shape as number[], offset };
    offset += tensor.size;
    return e;
  });
  return { entries, end: offset };
}

/**
 * Write a checkpoint atomically: weights.bin and checkpoint.json go to temporary names first and
 * are renamed, so a session killed mid-write leaves the previous checkpoint intact.
 */
export function saveCheckpoint(dir: string, meta: Omit<CheckpointMeta, 'tensors' | 'optimizer' | 'state'>, tensors: Named[], optimizer: Named[], state: Named[]): void {
  mkdirSync(dir, { recursive: true });
  const a = layout(tensors, 0);
  const b = layout(optimizer, a.end);
  const c = layout(state, b.end);
  const data = new Float32Array(c.end);
  for (const [group, entries] of [[tensors, a.entries], [optimizer, b.entries], [state, c.entries]] as const) {
    group.forEach(({ tensor }, i) => data.set(tensor.dataSync() as Float32Array, entries[i].offset));
  }
  const full: CheckpointMeta = { ...meta, tensors: a.entries, optimizer: b.entries, state: c.entries };
  writeFileSync(join(dir, 'weights.bin.tmp'), new Uint8Array(data.buffer));
  writeFileSync(join(dir, 'checkpoint.json.tmp'), JSON.stringify(full));
  renameSync(join(dir, 'weights.bin.tmp'), join(dir, 'weights.bin'));
  renameSync(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
}

/** True if `dir` holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json')) && existsSync(join(dir, 'weights.bin'));
}

/** Read and validate a checkpoint's metadata only (no tensors); typed errors name the file and field. */
export function readCheckpointMeta(dir: string): CheckpointMeta {
  const metaFile = join(dir, 'checkpoint.json');
  if (!existsSync(metaFile)) throw new IntrnnError('ERR_FILE_MISSING', metaFile, 'no such file (is this a training output directory?)');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    throw new IntrnnError('ERR_CHECKPOINT', metaFile, `is not valid JSON (${(e as Error).message})`);
  }
  const parsed = CheckpointMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntrnnError('ERR_CHECKPOINT', `${metaFile}: ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  return parsed.data;
}

/** Read and validate a checkpoint; every defect is a typed error naming the file and field. */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const binFile = join(dir, 'weights.bin');
  const meta = readCheckpointMeta(dir);
  if (!existsSync(binFile)) throw new IntrnnError('ERR_FILE_MISSING', binFile, 'no such file (is this a training output directory?)');
  const bytes = statSync(binFile).size;
  const all = [...meta.tensors, ...meta.optimizer, ...meta.state];
  const floats = all.reduce((n, e) => Math.max(n, e.offset + e.shape.reduce((a, b) => a * b, 1)), 0);
  if (bytes !== floats * 4) throw new IntrnnError('ERR_CHECKPOINT', binFile, `has ${bytes} bytes, the metadata describes ${floats * 4}`);
  const buf = readFileSync(binFile);
  const data = new Float32Array(buf.buffer, buf.byteOffset, floats);
  const make = (e: z.infer<typeof TensorEntry>) => ({ name: e.name, tensor: tf.tensor(data.slice(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1)), e.shape) });
  return {
    meta,
    tensors: new Map(meta.tensors.map((e) => [e.name, make(e).tensor])),
    optimizer: meta.optimizer.map(make),
    state: meta.state.map(make),
  };
}
