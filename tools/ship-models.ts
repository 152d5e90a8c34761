/**
 * Copies trained integer models into models/ with their model cards (one model per task: a task's
 * files of another preset are replaced), and measures what `intrnn demo` compares against: each
 * model's metric on the demo's test slice as a float32 file (ONNX Runtime) and as an integer file
 * (runtime-core, with the outputsSha256 the demo must reproduce), and per-token latency of both.
 *
 * Run: `npm run models:ship -- RUN_DIR...` (default: runs/lm-brown runs/pos-brown runs/g2p-cmudict).
 * Inputs per RUN_DIR: model.onnx, model.float32.onnx, convert.json, onnx-ort.json and
 * onnx-ort-float32.json (tools/eval-onnx.sh); with a float baseline trained as long as float + QAT
 * (tools/train-preset.sh), model.float-long.float32.onnx and onnx-ort-float-long.json, which then are
 * the float32 side. Outputs: models/TASK-PRESET.onnx (and the float32 file when it is under 4 MB),
 * models/TASK-PRESET.json (the card's figures) and models/TASK-PRESET.md.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { evaluateModel, measureLatency, openEngine, taskEntry, type EvalResult } from '@intrnn/tasks';
import { decodeModel, modelMetadata } from '@intrnn/format';

const runs = process.argv.length > 2 ? process.argv.slice(2) : ['runs/lm-brown', 'runs/pos-brown', 'runs/g2p-cmudict'];
const MODELS = join(import.meta.dirname, '..', 'models');
const FLOAT_SHIP_LIMIT = 4e6;

for (const run of runs) {
  const long = existsSync(join(run, 'onnx-ort-float-long.json'));
  const floatFile = long ? 'model.float-long.float32.onnx' : 'model.float32.onnx';
  const floatEval = long ? 'onnx-ort-float-long.json' : 'onnx-ort-float32.json';
  if (![floatEval, 'onnx-ort.json'].every((f) => existsSync(join(run, f)) && readFileSync(join(run, f)).length > 0)) {
    console.error(`${run}: not an evaluated run (tools/eval-onnx.sh), skipped`);
    continue;
  }
  const intBytes = new Uint8Array(readFileSync(join(run, 'model.onnx')));
  const floatBytes = new Uint8Array(readFileSync(join(run, floatFile)));
  const meta = modelMetadata(decodeModel(intBytes));
  const floatMeta = modelMetadata(decodeModel(floatBytes));
  const task = meta.task;
  const entry = taskEntry(task, `${run}: metadata.task`);
  const name = `${task}-${meta.source.preset}`;
  // one shipped model per task: the files of its other presets go
  for (const f of readdirSync(MODELS)) if (f.startsWith(`${task}-`) && !f.startsWith(`${name}.`)) rmSync(join(MODELS, f));
  copyFileSync(join(run, 'model.onnx'), join(MODELS, `${name}.onnx`));
  const shipFloat = floatBytes.length < FLOAT_SHIP_LIMIT;
  if (shipFloat) copyFileSync(join(run, floatFile), join(MODELS, `${name}.float32.onnx`));

  const slice = entry.demoSlice;
  const core = await openEngine('core', intBytes, meta);
  const ortFloat = await openEngine('ort', floatBytes, floatMeta);
  const integerSlice = await evaluateModel(core, meta, 'test', slice);
  const floatSlice = await evaluateModel(ortFloat, floatMeta, 'test', slice);
  const ids = entry.latencyIds;
  const nativeEngine = await openEngine('native', intBytes, meta);
  const latency = {
    integerCore: await measureLatency(core, meta, ids),
    integerNative: nativeEngine.name === 'native' ? await measureLatency(nativeEngine, meta, ids) : null,
    float32Ort: await measureLatency(ortFloat, floatMeta, ids),
  };
  await nativeEngine.close();
  await core.close();
  await ortFloat.close();

  const full = { integer: JSON.parse(readFileSync(join(run, 'onnx-ort.json'), 'utf8')) as EvalResult, float32: JSON.parse(readFileSync(join(run, floatEval), 'utf8')) as EvalResult };
  const card = {
    task,
    file: `${name}.onnx`,
    float32File: shipFloat ? `${name}.float32.onnx` : null,
    /** `trained-as-long`: the float baseline trained for the float + QAT steps; `qat-weights`: the QAT model's float weights. */
    float32Baseline: long ? 'trained-as-long' : 'qat-weights',
    bytes: { integer: intBytes.length, float32: floatBytes.length },
    source: meta.source,
    test: {
      metric: full.integer.metric,
      units: full.integer.tokens,
      integer: full.integer.value,
      float32: full.float32.value,
      scores: { integer: full.integer.scores ?? null, float32: full.float32.scores ?? null },
    },
    demoSlice: { units: slice, metric: integerSlice.metric, integer: integerSlice.value, float32: floatSlice.value, outputsSha256: integerSlice.outputsSha256 },
    latency: { usPerToken: { integerCore: latency.integerCore.usPerToken, integerNative: latency.integerNative?.usPerToken ?? null, float32Ort: latency.float32Ort.usPerToken } },
    measuredOn: `${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
  };
  writeFileSync(join(MODELS, `${name}.json`), JSON.stringify(card, null, 2) + '\n');
  const fmt = (v: number) => (entry.kind === 'language-model' ? v.toFixed(2) : `${(100 * v).toFixed(2)}%`);
  writeFileSync(
    join(MODELS, `${name}.md`),
    `# ${entry.title} (\`${name}\`)

Generated by \`tools/ship-models.ts\` from \`${run}\`. Do not edit by hand.

- **Task**: \`${task}\`; data and split: docs/datasets.md (fingerprint \`${meta.source.dataFingerprint}\`).
- **Model**: ${meta.layers.map((l) => `${l.node} (${l.direction}, ${l.inputSize} → ${l.hiddenSize})`).join(', ')}; vocabulary ${meta.vocabularies.input.length}${meta.vocabularies.output ? `, ${meta.vocabularies.output.length} output symbols` : ''}.
- **Training**: preset \`${meta.source.preset}\`, QAT checkpoint step ${meta.source.checkpointStep} (docs/training.md).
- **Files**: \`${name}.onnx\` (integer, ${(intBytes.length / 1e6).toFixed(2)} MB)${shipFloat ? `, \`${name}.float32.onnx\`` : ''}; the float32 file of the same weights is ${(floatBytes.length / 1e6).toFixed(2)} MB (${(floatBytes.length / intBytes.length).toFixed(2)}x)${shipFloat ? '' : ', not committed (regenerate it with `intrnn convert`)'}.
- **Test ${full.integer.metric}** (${full.integer.tokens.toLocaleString('en-US')} units): integer ${fmt(full.integer.value)}, float32 ${fmt(full.float32.value)} (${long ? 'the float model trained as long as float + QAT' : "the QAT model's float weights"}; docs/RESULTS.md).
- **Runs in**: runtime-core (\`@intrnn/runtime-core\`) and ONNX Runtime, with identical outputs.

Made by:

\`\`\`sh
${long ? `tools/train-preset.sh ${task} ${meta.source.preset} ${run}` : `tools/train-small.sh ${task} ${run}`}
tools/eval-onnx.sh ${run}
npm run models:ship -- ${run}
\`\`\`
`,
  );
  console.log(
    `${name}: ${(intBytes.length / 1e6).toFixed(2)} MB; slice ${slice}: integer ${fmt(integerSlice.value)}, float32 ${fmt(floatSlice.value)}; ${latency.integerCore.usPerToken.toFixed(0)} µs/token integer (core), ${latency.integerNative?.usPerToken.toFixed(0) ?? '-'} (native), ${latency.float32Ort.usPerToken.toFixed(0)} µs/token float32 (ORT)`,
  );
}
