import cliProgress from 'cli-progress';
import type { Io } from './io.js';

/** One progress update of long work. */
export interface ProgressUpdate {
  phase: string;
  step: number;
  totalSteps: number;
  loss?: number;
  tokensPerSecond?: number;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/**
 * Progress of long work on stderr: a bar with rate and ETA on a terminal, plain lines (at most one
 * every `everySeconds`, and at each phase's end) when stderr is not a TTY.
 */
export function progressReporter(io: Io, everySeconds = 10): { update: (p: ProgressUpdate) => void; stop: () => void } {
  const tty = Boolean(io.err.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let phase = '';
  let phaseStart = performance.now();
  let firstStep = 0;
  let lastLine = 0;
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  const update = (p: ProgressUpdate) => {
    // a checkpoint is a moment inside a phase: report it, keep the phase's clock and bar
    if (p.phase === 'checkpoint') {
      if (!bar) io.err.write(`[checkpoint] saved at step ${p.step}/${p.totalSteps}\n`);
      return;
    }
    if (p.phase !== phase) {
      stop();
      phase = p.phase;
      phaseStart = performance.now();
      firstStep = p.step - 1; // a resumed run starts counting where it stopped
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${p.phase.padEnd(9)} [{bar}] {value}/{total} | loss {loss} | {rate} tok/s | ETA {eta_formatted}`, stream: io.err as NodeJS.WritableStream, hideCursor: true, etaBuffer: 50 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.totalSteps, firstStep, { loss: '-', rate: '-' });
      }
    }
    const payload = { loss: p.loss !== undefined ? p.loss.toFixed(3) : '-', rate: p.tokensPerSecond !== undefined ? p.tokensPerSecond.toFixed(0) : '-' };
    if (bar) {
      bar.update(p.step, payload);
      if (p.step >= p.totalSteps) stop();
      return;
    }
    const now = performance.now();
    if (now - lastLine >= everySeconds * 1000 || p.step >= p.totalSteps) {
      lastLine = now;
      const elapsed = (now - phaseStart) / 1000;
      const done = p.step - firstStep;
      const eta = done > 0 ? (elapsed / done) * (p.totalSteps - p.step) : NaN;
      io.err.write(`[${p.phase}] ${p.step}/${p.totalSteps}  loss ${payload.loss}  ${payload.rate} tok/s  elapsed ${formatSeconds(elapsed)}  ETA ${formatSeconds(eta)}\n`);
    }
  };
  return { update, stop };
}
