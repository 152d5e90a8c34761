/// <reference lib="webworker" />
/**
 * The runtime worker: all model work happens here, so the page stays responsive while a model
 * loads or a prompt is continued. Tokens are posted one by one as they are produced.
 */
import { IntrnnError } from '@intrnn/format';
import type { Reply, Request } from './protocol.js';
import { WebRuntime, errorInfo } from './tasks.js';

const runtime = new WebRuntime();
// The page names the worker after the kernels it wants ('wasm' by default, 'core' with ?kernels=core).
const ready = runtime.useKernels((self as unknown as DedicatedWorkerGlobalScope).name === 'core' ? 'core' : 'wasm');
const post = (r: Reply): void => (self as unknown as DedicatedWorkerGlobalScope).postMessage(r);

async function bytesOf(req: Extract<Request, { kind: 'load' }>): Promise<Uint8Array> {
  if (req.bytes) return new Uint8Array(req.bytes);
  let res: Response;
  try {
    res = await fetch(req.url!);
  } catch (e) {
    throw new IntrnnError('ERR_MODEL_FILE', req.name, `could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new IntrnnError('ERR_MODEL_FILE', req.name, `could not be fetched: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function handle(req: Request): Promise<void> {
  await ready;
  switch (req.kind) {
    case 'load':
      post({ id: req.id, kind: 'loaded', info: runtime.load(req.slot, req.name, await bytesOf(req)) });
      return;
    case 'generate': {
      const result = runtime.generate(req.prompt, req.tokens, req.temperature, req.seed, (token, index) => post({ id: req.id, kind: 'token', token, index }));
      post({ id: req.id, kind: 'generated', result });
      return;
    }
    case 'tag':
      post({ id: req.id, kind: 'tagged', result: runtime.tag(req.sentence) });
      return;
    case 'pronounce':
      post({ id: req.id, kind: 'pronounced', result: runtime.pronounce(req.words, req.beam, req.nbest) });
      return;
    case 'pwl':
      post({ id: req.id, kind: 'pwl', curves: runtime.pwl(req.slot) });
      return;
  }
}

// Requests are served one at a time, in order: the models are not re-entrant.
let queue = Promise.resolve();
self.onmessage = (ev: MessageEvent<Request>) => {
  const req = ev.data;
  queue = queue.then(() => handle(req).catch((e: unknown) => post({ id: req.id, kind: 'error', error: errorInfo(e) })));
};
