import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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

const GruQuantSchema = z.object({
  inputScale: z.number().positive(),
  hiddenScale: z.number().positive(),
  gateScale: z.number().positive(),
  sigmoid: PwlTableSchema,
  tanhGate: PwlTableSchema,
});

/**
 * The manifest of a training checkpoint (checkpoint.json). The tensors sit in the weights file it
 * names (`weights.<step>.bin`), and `sha256` covers that file's bytes and every other field of the
 * manifest, so a flipped bit, an edited field or a manifest paired with another step's weights is
 * refused.
 */
export const CheckpointMetaSchema = z.object({
  format: z.literal('intrnn-qat-checkpoint'),
  version: z.literal(2),
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
      // GRU language models: their layers' states (lstm is then empty)
      gru: z.array(GruQuantSchema).optional(),
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
  /** The weights file, in the same directory. */
  weights: z.string().regex(/^weights\.\d+\.bin$/),
  /** SHA-256 (hex) of the weights file's bytes followed by this manifest without `sha256`. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
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

/** Fields the trainer gives; the layout, weights file name and hash are filled in here. */
export type CheckpointFields = Omit<CheckpointMeta, 'tensors' | 'optimizer' | 'state' | 'weights' | 'sha256' | 'format' | 'version'>;

function contentHash(weights: Uint8Array, meta: Omit<CheckpointMeta, 'sha256'>): string {
  return createHash('sha256').update(weights).update(JSON.stringify(meta)).digest('hex');
}

/** Write a file and flush it to the disk before returning. */
function writeDurably(path: string, bytes: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // some platforms cannot open a directory for fsync; the renames are still atomic there
  }
}

/**
 * Write a checkpoint so that a crash at any moment leaves a complete one: the weights go to a file
 * named by the step and are flushed, then the manifest (naming that file, with the hash) is
 * written to a temporary name, flushed and renamed over the old one; only then are older weights
 * files removed. Non-finite weights are refused (nothing is written).
 */
export function saveCheckpoint(dir: string, meta: CheckpointFields, tensors: Named[], optimizer: Named[], state: Named[]): void {
  mkdirSync(dir, { recursive: true });
  const a = layout(tensors, 0);
  const b = layout(optimizer, a.end);
  const c = layout(state, b.end);
  const data = new Float32Array(c.end);
  for (const [group, entries] of [
    [tensors, a.entries],
    [optimizer, b.entries],
    [state, c.entries],
  ] as const) {
    group.forEach(({ tensor }, i) => data.set(tensor.dataSync() as Float32Array, entries[i].offset));
  }
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const entry = [...a.entries, ...b.entries, ...c.entries].find((e) => bad >= e.offset && bad < e.offset + e.shape.reduce((x, y) => x * y, 1));
    throw new IntrnnError('ERR_TRAIN_DIVERGED', entry?.name ?? dir, `holds ${data[bad]} at step ${meta.step}: training diverged; the last checkpoint in ${dir} is kept`);
  }
  const weights = `weights.${meta.step}.bin`;
  const bytes = new Uint8Array(data.buffer);
  const body: Omit<CheckpointMeta, 'sha256'> = { format: 'intrnn-qat-checkpoint', version: 2, ...meta, tensors: a.entries, optimizer: b.entries, state: c.entries, weights };
  writeDurably(join(dir, weights), bytes);
  writeDurably(join(dir, 'checkpoint.json.tmp'), JSON.stringify({ ...body, sha256: contentHash(bytes, body) }));
  renameSync(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
  syncDirectory(dir);
  for (const f of readdirSync(dir)) if (/^weights(\.\d+)?\.bin(\.tmp)?$/.test(f) && f !== weights) rmSync(join(dir, f), { force: true });
}

/** True if `dir` holds a checkpoint manifest. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'checkpoint.json'));
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
  if ((raw as { version?: unknown } | null)?.version === 1) {
    throw new IntrnnError('ERR_CHECKPOINT', metaFile, 'is a version 1 checkpoint, which has no content hash to verify: retrain it with this release');
  }
  const parsed = CheckpointMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntrnnError('ERR_CHECKPOINT', `${metaFile}: ${issue.path.join('.') || '(root)'}`, issue.message);
  }
  return parsed.data;
}

/**
 * Read and validate a checkpoint; every defect is a typed error naming the file and field: a missing
 * or truncated weights file, a hash that does not match (bit flips, an edited manifest, a torn
 * pair), non-finite values.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const meta = readCheckpointMeta(dir);
  const binFile = join(dir, meta.weights);
  if (!existsSync(binFile)) throw new IntrnnError('ERR_FILE_MISSING', binFile, 'no such file: the checkpoint manifest names it');
  const bytes = statSync(binFile).size;
  const all = [...meta.tensors, ...meta.optimizer, ...meta.state];
  const floats = all.reduce((n, e) => Math.max(n, e.offset + e.shape.reduce((a, b) => a * b, 1)), 0);
  if (bytes !== floats * 4) throw new IntrnnError('ERR_CHECKPOINT', binFile, `has ${bytes} bytes, the manifest describes ${floats * 4}`);
  const buf = readFileSync(binFile);
  const { sha256, ...body } = meta;
  if (contentHash(buf, body) !== sha256) {
    throw new IntrnnError('ERR_CHECKPOINT', join(dir, 'checkpoint.json'), `content hash does not match ${meta.weights} and the manifest: the checkpoint is corrupted or was edited`);
  }
  const data = new Float32Array(buf.buffer, buf.byteOffset, floats);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new IntrnnError('ERR_CHECKPOINT', binFile, `holds a non-finite value (${data[bad]}) at element ${bad}`);
  const make = (e: z.infer<typeof TensorEntry>) => ({ name: e.name, tensor: tf.tensor(data.slice(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1)), e.shape) });
  return {
    meta,
    tensors: new Map(meta.tensors.map((e) => [e.name, make(e).tensor])),
    optimizer: meta.optimizer.map(make),
    state: meta.state.map(make),
  };
}
