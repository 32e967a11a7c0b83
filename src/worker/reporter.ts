// A worker tells its primary what it holds, so that a worker that dies still shows what it took with
// it: its stats and newest requests go out at most every STATS_REPORT_INTERVAL_MS while they change
// (nothing while idle), and once more when it leaves on purpose. A SIGKILLed worker's last report is
// at most one interval old.

/** The longest a change waits before it is reported; the dashboard polls every 500 ms. */
export const STATS_REPORT_INTERVAL_MS = 100;

export interface Reporter {
  /** Something changed: report it within the interval (one timer, whatever the request rate). */
  changed(): void;
  /** Report now (a planned exit): nothing pending is left behind. */
  flush(): void;
}

export const createReporter = (send: () => void, intervalMs = STATS_REPORT_INTERVAL_MS): Reporter => {
  let timer: NodeJS.Timeout | undefined;
  let last = Number.NEGATIVE_INFINITY;
  const report = (): void => {
    timer = undefined;
    last = performance.now();
    send();
  };
  return {
    changed() {
      if (timer !== undefined) return;
      // After a quiet spell the first change goes out at once; under load, once per interval.
      timer = setTimeout(report, Math.max(0, last + intervalMs - performance.now()));
      timer.unref();
    },
    flush() {
      clearTimeout(timer);
      report();
    },
  };
};
