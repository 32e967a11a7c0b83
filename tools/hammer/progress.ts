// The progress line the hammer draws on a terminal while it runs: redrawn on a timer (not per
// request, which would cost more than the requests), cleared before the report is printed.
import { formatBar, formatNumber } from './text.js';

export const PROGRESS_INTERVAL_MS = 100;

export interface ProgressState {
  done: number;
  failed: number;
  elapsedMs: number;
  /** Requests the run stops after, if bounded by count. */
  total?: number;
  /** Time the run stops after, if bounded by time. */
  durationMs?: number;
  stopping?: boolean;
}

/** One progress line: how far (by count or by time, whichever is nearer its end), how fast, how many failed. */
export const formatProgress = (state: ProgressState): string => {
  const byCount = state.total === undefined ? 0 : state.done / state.total;
  const byTime = state.durationMs === undefined ? 0 : state.elapsedMs / state.durationMs;
  const fraction = Math.min(1, Math.max(byCount, byTime));
  const rate = state.elapsedMs > 0 ? Math.round((state.done * 1000) / state.elapsedMs) : 0;
  const count =
    state.total === undefined ? formatNumber(state.done) : `${formatNumber(state.done)}/${formatNumber(state.total)}`;
  return [
    formatBar(fraction, 30),
    `${Math.floor(fraction * 100)}%`.padStart(4),
    count,
    `${formatNumber(rate)} req/s`,
    `${formatNumber(state.failed)} failed`,
    `${(state.elapsedMs / 1000).toFixed(1)} s`,
    ...(state.stopping ? ['stopping: waiting for requests in flight (Ctrl-C again to quit now)'] : []),
  ].join('  ');
};

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  read: () => Omit<ProgressState, 'elapsedMs'>;
  intervalMs?: number;
}

export interface Progress {
  /** Redraw now (e.g. to show that a stop was asked for). */
  draw(): void;
  /** Stop redrawing and erase the line. */
  stop(): void;
}

/** Redraw the progress line every `intervalMs` on `stream` until stopped. */
export const startProgress = ({ stream, read, intervalMs = PROGRESS_INTERVAL_MS }: ProgressOptions): Progress => {
  const started = performance.now();
  const draw = (): void => {
    const line = formatProgress({ ...read(), elapsedMs: performance.now() - started });
    const width = stream.columns ?? 120;
    stream.write(`\r${line.length >= width ? line.slice(0, width - 1) : line}\x1b[K`);
  };
  const timer = setInterval(draw, intervalMs);
  // The run's own work keeps the process alive; the redraw alone must not.
  timer.unref();
  draw();
  return {
    draw,
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
};
