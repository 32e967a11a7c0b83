// A worker's answer to SIGINT/SIGTERM. With --shutdown-delay-ms it first fails its health check
// (/healthz 503 "draining") while every other route answers as usual, so that a load balancer's checks
// take the host out before it stops accepting — Kubernetes' preStop sleep, built in; then the drain.
// A signal reaches a worker twice when it reaches the whole process group (Ctrl-C, `kill -- -PGID`):
// once directly and once as the primary's word. Both sides count their own signals, so the same
// signal seen twice is one signal, and a second one skips what is left of the wait.

export interface SignalStopOptions {
  /** --shutdown-delay-ms: how long /healthz fails before the drain begins. */
  delayMs: number;
  /** Begin the drain (stop accepting, finish in-flight requests, exit); called once. */
  drain: (reason: string) => void;
}

export interface SignalStop {
  /** True from the first signal on: /healthz answers 503 "draining". */
  readonly draining: boolean;
  /** The `count`-th signal as counted by whoever received it (this worker, or its primary). */
  signal(reason: string, count: number): void;
}

export const createSignalStop = ({ delayMs, drain }: SignalStopOptions): SignalStop => {
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  let begun = false;
  const begin = (reason: string): void => {
    clearTimeout(timer);
    if (begun) return;
    begun = true;
    drain(reason);
  };
  return {
    get draining(): boolean {
      return seen > 0;
    },
    signal(reason, count) {
      // The same signal, reported by the other side (or a stale count): nothing new.
      if (count <= seen) return;
      const first = seen === 0;
      seen = count;
      if (first && count === 1 && delayMs > 0) {
        timer = setTimeout(() => begin(`${reason}, after ${delayMs} ms of /healthz 503`), delayMs);
        return;
      }
      begin(first ? reason : `${reason}: a second signal, the rest of the ${delayMs} ms wait skipped`);
    },
  };
};
