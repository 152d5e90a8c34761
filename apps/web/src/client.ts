/** The page's side of the worker protocol: one promise per request, tokens streamed to a callback. */
import type { ErrorInfo, Reply, Request } from './protocol.js';

type Pending = { resolve: (r: Reply) => void; reject: (e: ErrorInfo) => void; onToken?: (token: string, index: number) => void };

// Distributes Omit over the union so each request keeps its own fields.
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

export class RuntimeClient {
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.kind === 'token') return p.onToken?.(r.token, r.index);
      this.pending.delete(r.id);
      if (r.kind === 'error') p.reject(r.error);
      else p.resolve(r);
    };
    worker.onerror = (ev) => {
      // A worker that fails to start or throws outside a request: fail everything waiting, with the reason.
      const error = { code: 'ERR_WORKER', where: 'runtime worker', message: ev.message || 'failed to start' };
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
  }

  request(body: RequestBody, onToken?: (token: string, index: number) => void): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onToken });
      const transfer = body.kind === 'load' && body.bytes ? [body.bytes] : [];
      this.worker.postMessage({ ...body, id }, transfer);
    });
  }
}
