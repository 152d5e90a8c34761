import * as z from 'zod/mini';
import { IntrnnError } from './errors.js';

/** Version of the intrnn metadata layout inside the ONNX file; bumped on any incompatible change. */
export const FORMAT_VERSION = 1;

/** The key of the ModelProto.metadata_props entry holding the JSON metadata. */
export const METADATA_KEY = 'intrnn';

// zod/mini: the same validation as zod's classic API, tree-shakable (the browser worker bundles it)
const positive = z.number().check(z.positive());
const int = (lo: number, hi: number) => z.int().check(z.minimum(lo), z.maximum(hi));

/** A token list: stored as one string joined by newlines (3 bytes a token fewer than a JSON array), read as an array. */
const tokenList = z.pipe(
  z.string().check(z.minLength(1)),
  z.transform((s: string) => s.split('\n')),
);
const name = z.string().check(z.minLength(1));

/** Quantization of one LSTM layer (scales are reals; the integers live in the ONNX tensors). */
export const LstmLayerMetaSchema = z.object({
  /** Node name of the IntLSTM this describes. */
  node: name,
  /** The cell; files written before GRU layers existed omit it. */
  cell: z.optional(z.literal('lstm')),
  direction: z.enum(['forward', 'reverse']),
  inputSize: int(1, 2 ** 31),
  hiddenSize: int(1, 2 ** 31),
  inputScale: positive,
  hiddenScale: positive,
  gateScale: positive,
  cellFracBits: int(0, 15),
  madNorm: z.nullable(z.object({ normFracBits: z.int(), gammaScale: positive, outScale: positive })),
  /** Widths: int8 (or, op set 3, int4) weights, int8 h, int16 c and gates, int32 accumulators. */
  bits: z.object({ weights: z.union([z.literal(8), z.literal(4)]), hidden: z.literal(8), cell: z.literal(16), gates: z.literal(16), accumulator: z.literal(32) }),
});

/** Quantization of one GRU layer (ai.intrnn:IntGRU, docs/integer-semantics.md §10b): no cell state, no MadNorm. */
export const GruLayerMetaSchema = z.object({
  /** Node name of the IntGRU this describes. */
  node: name,
  cell: z.literal('gru'),
  direction: z.enum(['forward', 'reverse']),
  inputSize: int(1, 2 ** 31),
  hiddenSize: int(1, 2 ** 31),
  inputScale: positive,
  hiddenScale: positive,
  gateScale: positive,
  /** Widths: int8 (or, op set 3, int4) weights, int8 h, int16 gates, int32 accumulators. */
  bits: z.object({ weights: z.union([z.literal(8), z.literal(4)]), hidden: z.literal(8), gates: z.literal(16), accumulator: z.literal(32) }),
});

/** The real-valued side of a PWL table: input domain and scales. */
export const PwlScalesSchema = z.object({ inMin: z.int(), inMax: z.int(), inScale: positive, outScale: positive });

/** One proven accumulator bound: the worst case |Σ w·x + b| over every int8 input, per tensor. */
export const OverflowBoundSchema = z.object({
  tensor: name,
  bound: int(0, Number.MAX_SAFE_INTEGER),
  limit: int(1, Number.MAX_SAFE_INTEGER),
});

/**
 * All intrnn metadata stored in the ONNX file (ModelProto.metadata_props[`intrnn`], JSON). The
 * runtime validates it with this schema before it plans anything.
 */
export const ModelMetadataSchema = z.object({
  format: z.literal('intrnn'),
  formatVersion: z.literal(FORMAT_VERSION),
  opsetVersion: int(1, 2 ** 31),
  /** The task the model was trained for: a name such as `lm-brown` (model kind and dataset). */
  task: name,
  /**
   * The kind of model, which picks the SDK façade (LanguageModel, Tagger, Transducer) whatever the
   * dataset. Files written before kinds existed omit it: {@link modelKind} derives it from their task.
   */
  kind: z.optional(z.enum(['language-model', 'tagger', 'transducer'])),
  /**
   * Spelling features (taggers with a word vocabulary): each word's suffix buckets and shape class
   * (runtime-core wordFeatureIds), fed as graph inputs `suffix<n>` (one per length) and `shape`.
   */
  wordFeatures: z.optional(z.object({ suffixLengths: z.array(int(1, 16)).check(z.minLength(1)), buckets: int(1, 2 ** 20) })),
  /** `integer`: the ai.intrnn graph; `float32`: the standard-op float model of the same weights. */
  numerics: z.enum(['integer', 'float32']),
  vocabularies: z.object({
    /** Input token strings; the position is the id. Stored as one newline-joined string. */
    input: tokenList,
    /** Output labels (tags, phonemes) when they differ from the input vocabulary. */
    output: z.optional(tokenList),
    /** The token unknown words map to. */
    unknown: z.string(),
    /** Sentence boundary token (language model), or the end symbol of output sequences (G2P). */
    sentenceEnd: z.optional(z.string()),
    /** The start symbol a sequence decoder is primed with (G2P). */
    sequenceStart: z.optional(z.string()),
  }),
  /** Real scales: an int32 logit times `logitScale` is the float logit. */
  scales: z.object({ embedding: positive, logits: positive }),
  layers: z.array(z.union([LstmLayerMetaSchema, GruLayerMetaSchema])),
  /**
   * Every PWL table by the tensor name that stores its integers: the real scales and the input
   * domain it was built for (for inspection and plots; the integers live only in the tensors).
   */
  pwlTables: z.record(z.string(), PwlScalesSchema),
  overflowProof: z.array(OverflowBoundSchema),
  source: z.object({
    producer: name,
    preset: z.string(),
    checkpointStep: int(0, Number.MAX_SAFE_INTEGER),
    dataFingerprint: z.string(),
  }),
});

/** Validated metadata of an intrnn model; see {@link ModelMetadataSchema}. */
export type ModelMetadata = z.output<typeof ModelMetadataSchema>;

/** The kinds of model intrnn's SDK serves. */
export type ModelKind = NonNullable<ModelMetadata['kind']>;

/** The kinds of the tasks of files written before `kind` existed. */
const LEGACY_KINDS: Record<string, ModelKind> = { 'lm-brown': 'language-model', 'pos-brown': 'tagger', 'g2p-cmudict': 'transducer' };

/** The kind of a model: its metadata's `kind`, or for older files the kind of its task. */
export function modelKind(meta: Pick<ModelMetadata, 'kind' | 'task'>): ModelKind {
  const kind = meta.kind ?? (Object.hasOwn(LEGACY_KINDS, meta.task) ? LEGACY_KINDS[meta.task] : undefined);
  if (!kind) throw new IntrnnError('ERR_MODEL_METADATA', 'metadata.kind', `is missing and task '${meta.task}' implies none`);
  return kind;
}

/** Serialize metadata for `metadata_props` (token lists joined by newlines), validating it first. */
export function encodeMetadata(meta: ModelMetadata): string {
  const join = (tokens: readonly string[], where: string) => {
    const bad = tokens.findIndex((t) => t.includes('\n'));
    if (bad >= 0) throw new IntrnnError('ERR_VOCAB', `${where}[${bad}]`, 'a token may not contain a newline');
    return tokens.join('\n');
  };
  const v = meta.vocabularies;
  const raw = { ...meta, vocabularies: { ...v, input: join(v.input, 'vocabularies.input'), ...(v.output ? { output: join(v.output, 'vocabularies.output') } : {}) } };
  parseMetadata(JSON.stringify(raw)); // what we write must read back
  return JSON.stringify(raw);
}

/** The validated metadata of a decoded ONNX model (its metadata_props entry); errors name the field. */
export function modelMetadata(model: { metadataProps?: { key?: string | null; value?: string | null }[] | null }, where = `metadata_props.${METADATA_KEY}`): ModelMetadata {
  return parseMetadata((model.metadataProps ?? []).find((e) => e.key === METADATA_KEY)?.value, where);
}

/** Parse and validate the JSON metadata of a file; errors name the field. */
export function parseMetadata(json: string | null | undefined, where = `metadata_props.${METADATA_KEY}`): ModelMetadata {
  if (!json) throw new IntrnnError('ERR_MODEL_METADATA', where, 'is missing: not an intrnn model');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new IntrnnError('ERR_MODEL_METADATA', where, `is not JSON (${(e as Error).message})`);
  }
  const parsed = ModelMetadataSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntrnnError('ERR_MODEL_METADATA', ['metadata', ...issue.path].join('.'), issue.message);
  }
  return parsed.data;
}
export type LstmLayerMeta = z.infer<typeof LstmLayerMetaSchema>;
export type GruLayerMeta = z.infer<typeof GruLayerMetaSchema>;
/** One recurrent layer's metadata: an LSTM's or a GRU's. */
export type LayerMeta = LstmLayerMeta | GruLayerMeta;
