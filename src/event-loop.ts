// How late this process's event loop runs, from node:perf_hooks' monitorEventLoopDelay: a timer that
// should fire every RESOLUTION_MS, and a histogram of how long each interval really took. A
// synchronous wait (the blocking route) shows up here as one interval as long as the wait, and in
// every request that had to wait behind it.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** How often the loop is sampled; a finer one costs more wake-ups in every worker. */
export const EVENT_LOOP_RESOLUTION_MS = 10;

/** The loop's delay in milliseconds since the last reset: the median, the 99th percentile, the worst. */
export interface EventLoopDelay {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface EventLoopMonitor {
  read(): EventLoopDelay;
  reset(): void;
}

export const createEventLoopMonitor = (resolutionMs = EVENT_LOOP_RESOLUTION_MS): EventLoopMonitor => {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  // Its timer does not keep the process alive.
  histogram.enable();
  // The histogram records whole intervals (an idle loop reads about `resolutionMs`): the delay is
  // what is left over.
  const delayMs = (nanoseconds: number): number =>
    histogram.count === 0 ? 0 : Math.max(0, Math.round((nanoseconds / 1e6 - resolutionMs) * 100) / 100);
  return {
    read: () => ({
      p50_ms: delayMs(histogram.percentile(50)),
      p99_ms: delayMs(histogram.percentile(99)),
      max_ms: delayMs(histogram.max),
    }),
    reset: () => histogram.reset(),
  };
};
