import type { Command } from 'commander';
import { IntrnnError } from '@intrnn/format';
import { markdownTable } from 'markdown-table';
import { parseInteger } from '../parse.js';
import type { Io } from '../io.js';

/** `intrnn bench`: per-token latency of every engine on the same model, batch 1, one thread. */
export function registerBench(program: Command, io: Io): void {
  program
    .command('bench')
    .description(
      'per-token latency of runtime-native, runtime-wasm, runtime-core and ONNX Runtime on one model: the integer file, and for a language model the peers built from its weights (standard LSTM op in float32, DynamicQuantizeLSTM int8) in onnxruntime-node and onnxruntime-web',
    )
    .argument('<model>', 'integer .onnx file (Scan-graph siblings .float32.onnx and .int8-dynamic.onnx are extra rows when present)')
    .option('--calls <n>', 'timed calls per engine (median)', parseInteger, 200)
    .option('--block <n>', "engines take turns in blocks of n calls (the first of each block untimed); 1: alternate every call, so each engine meets the others' data in the caches", parseInteger, 32)
    .option('--json', 'print one JSON object')
    .action(async (path: string, o: { calls: number; block: number; json?: boolean }) => {
      if (o.calls < 5) throw new IntrnnError('ERR_OPTION', '--calls', 'must be at least 5');
      if (o.block < 1) throw new IntrnnError('ERR_OPTION', '--block', 'must be at least 1');
      const { benchModel } = await import('@intrnn/tasks');
      const r = await benchModel(path, o.calls, (name) => io.err.write(`[bench] ${name}\n`), o.block);
      if (o.json) {
        io.out.write(JSON.stringify(r) + '\n');
        return;
      }
      io.out.write(
        markdownTable(
          [
            ['engine', 'µs / token (median)', 'tokens / s', 'native is faster by', 'wasm is faster by', 'top-1 agreement with the integer model'],
            ...Object.entries(r.engines).map(([k, v]) => [
              k,
              v.usPerToken.toFixed(1),
              v.tokensPerSecond.toFixed(0),
              r.nativeSpeedup[k] ? `${r.nativeSpeedup[k].toFixed(2)}x` : '-',
              r.wasmSpeedup[k] ? `${r.wasmSpeedup[k].toFixed(2)}x` : '-',
              r.peers[k] ? `${(100 * r.peers[k].top1Agreement).toFixed(1)}% of ${r.peers[k].positions}` : '-',
            ]),
          ],
          { align: ['l', 'r', 'r', 'r', 'r', 'r'] },
        ) + '\n',
      );
    });
}
