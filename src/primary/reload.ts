// A rolling restart (POST /admin/reload): one worker at a time, the new one listening before the old
// one drains, so there is always a full set of workers to take connections.
import type { Worker } from 'node:cluster';
import type { Logger } from '../log.js';
import type { WorkerPool } from './pool.js';

/** How long a reload waits for a new worker to listen before it gives up (and keeps the old one). */
const RELOAD_START_TIMEOUT_MS = 15_000;
/** Grace after the drain timeout before a retiring worker is killed. */
const KILL_GRACE_MS = 1000;

export interface ReloadOptions {
  pool: WorkerPool;
  log: Logger;
  /** How long a retiring worker may drain. */
  drainTimeoutMs: number;
  /** True once the cluster is shutting down: a reload stops where it is. */
  stopping: () => boolean;
  /** Tell a worker to drain and exit. */
  shutdown: (worker: Worker, reason: string) => void;
}

/** Resolves true once `worker` listens, false if it exits or takes too long. */
export const whenListening = (worker: Worker, timeoutMs = RELOAD_START_TIMEOUT_MS): Promise<boolean> =>
  new Promise((settle) => {
    const timer = setTimeout(() => settle(false), timeoutMs);
    worker.once('listening', () => {
      clearTimeout(timer);
      settle(true);
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      settle(false);
    });
  });

/** Retire `worker` on purpose: it drains and exits, and its exit is not a death to replace. */
export const retireWorker = (
  { pool, drainTimeoutMs, shutdown }: Pick<ReloadOptions, 'pool' | 'drainTimeoutMs' | 'shutdown'>,
  worker: Worker,
  reason: string,
): Promise<void> =>
  new Promise((settle) => {
    pool.retire(worker);
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), drainTimeoutMs + KILL_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      settle();
    });
    shutdown(worker, reason);
  });

export const createReloader = (options: ReloadOptions) => {
  const { pool, log, stopping } = options;
  let reloading = false;

  const rollingReload = async (): Promise<void> => {
    const olds = pool.live();
    log.info(`reload: replacing ${olds.length} worker(s) one at a time`);
    for (const old of olds) {
      if (stopping()) return;
      const fresh = pool.fork();
      log.info(`reload: worker ${fresh.id} (pid ${fresh.process.pid}) starting to take over from worker ${old.id}`);
      if (!(await whenListening(fresh))) {
        log.error(`reload: worker ${fresh.id} did not start listening; reload stopped, worker ${old.id} kept`);
        return;
      }
      await retireWorker(options, old, 'reload');
      log.info(`reload: worker ${old.id} (pid ${old.process.pid}) drained and retired`);
    }
    log.info('reload: done');
  };

  return {
    /** Start a rolling restart unless one (or a shutdown) is under way. */
    reload() {
      if (stopping() || reloading) return { started: false, workers: pool.live().length };
      reloading = true;
      void rollingReload().finally(() => {
        reloading = false;
      });
      return { started: true, workers: pool.live().length };
    },
  };
};
