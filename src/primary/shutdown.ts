// Stopping the cluster: every worker is told to drain (stop accepting, finish what is in flight),
// the stragglers are killed past the timeout, and the primary's promise settles once the last worker
// process has exited. A second signal means "now": every worker is killed at once.
import type { Worker } from 'node:cluster';
import type { Logger } from '../log.js';
import type { WorkerPool } from './pool.js';

/** Grace after --shutdown-timeout-ms before the primary kills a worker that has not exited. */
const KILL_GRACE_MS = 1000;

export interface ShutdownOptions {
  pool: WorkerPool;
  log: Logger;
  timeoutMs: number;
  /** Tell a worker to drain and exit. */
  shutdown: (worker: Worker, reason: string) => void;
  /** Called once, when the last worker has exited. */
  onDone: (exitCode: number) => void;
}

export const createShutdown = ({ pool, log, timeoutMs, shutdown, onDone }: ShutdownOptions) => {
  let stopping: { exitCode: number } | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  let done = false;

  const finishIfDone = (): void => {
    if (stopping === null || done || pool.all().length > 0) return;
    done = true;
    clearTimeout(killTimer);
    log.info(`all workers stopped; exiting with code ${stopping.exitCode}`);
    onDone(stopping.exitCode);
  };

  return {
    get stopping(): boolean {
      return stopping !== null;
    },
    /** Stop the cluster with this exit code; a second signal kills every worker at once. */
    stop(exitCode: number, reason: string): void {
      if (stopping !== null) {
        // A second signal: the user does not want to wait.
        if (reason.startsWith('SIG')) for (const worker of pool.all()) worker.process.kill('SIGKILL');
        return;
      }
      stopping = { exitCode };
      const workers = pool.all();
      log.info(`${reason}: stopping ${workers.length} worker(s), waiting up to ${timeoutMs} ms`);
      for (const worker of workers) shutdown(worker, reason);
      killTimer = setTimeout(() => {
        for (const worker of pool.all()) {
          log.warn(`worker ${worker.id} (pid ${worker.process.pid}) did not stop in time; killing it`);
          worker.process.kill('SIGKILL');
        }
      }, timeoutMs + KILL_GRACE_MS);
      finishIfDone();
    },
    /** A worker exited: maybe the last one. */
    workerExited: finishIfDone,
  };
};
