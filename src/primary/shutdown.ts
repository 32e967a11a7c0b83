// Stopping the cluster: every worker is told to drain (stop accepting, finish what is in flight),
// the stragglers are killed past the timeout, and the primary's promise settles once the last worker
// process has exited. On a signal with --shutdown-delay-ms the workers first fail /healthz for the
// delay while still serving, so a load balancer takes the host out before it stops accepting. A second
// signal means "now": during that wait it skips the rest of it; once the drain is under way it kills
// every worker at once.
import type { Worker } from 'node:cluster';
import type { Logger } from '../log.js';
import type { WorkerPool } from './pool.js';

/** Grace after --shutdown-timeout-ms before the primary kills a worker that has not exited. */
const KILL_GRACE_MS = 1000;

export interface ShutdownOptions {
  pool: WorkerPool;
  log: Logger;
  timeoutMs: number;
  /** --shutdown-delay-ms: after a signal, how long the workers fail /healthz before they drain. */
  delayMs: number;
  /** Tell a worker to drain and exit; `signals` when a signal is why (the primary's count of them). */
  shutdown: (worker: Worker, reason: string, signals?: number) => void;
  /** Called once, when the last worker has exited. */
  onDone: (exitCode: number) => void;
}

export const createShutdown = ({ pool, log, timeoutMs, delayMs, shutdown, onDone }: ShutdownOptions) => {
  let stopping: { exitCode: number } | null = null;
  let signals = 0;
  let waitTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let done = false;

  const finishIfDone = (): void => {
    if (stopping === null || done || pool.all().length > 0) return;
    done = true;
    clearTimeout(waitTimer);
    clearTimeout(killTimer);
    log.info(`all workers stopped; exiting with code ${stopping.exitCode}`);
    onDone(stopping.exitCode);
  };

  /** The drain proper: from here the workers have the timeout, then the kill grace. */
  const armKill = (): void => {
    clearTimeout(waitTimer);
    waitTimer = undefined;
    killTimer = setTimeout(() => {
      for (const worker of pool.all()) {
        log.warn(`worker ${worker.id} (pid ${worker.process.pid}) did not stop in time; killing it`);
        worker.process.kill('SIGKILL');
      }
    }, timeoutMs + KILL_GRACE_MS);
  };

  const begin = (exitCode: number, reason: string, signal: boolean): void => {
    stopping = { exitCode };
    const workers = pool.all();
    if (signal && delayMs > 0) {
      log.info(
        `${reason}: /healthz answers 503 "draining" for ${delayMs} ms (--shutdown-delay-ms), every other route as usual, so that a load balancer stops sending requests here first; then stopping ${workers.length} worker(s), waiting up to ${timeoutMs} ms; a second signal skips the wait`,
        { event: 'shutdown-delay', delay_ms: delayMs },
      );
      waitTimer = setTimeout(armKill, delayMs);
    } else {
      log.info(`${reason}: stopping ${workers.length} worker(s), waiting up to ${timeoutMs} ms`);
      armKill();
    }
    for (const worker of workers) shutdown(worker, reason, signal ? signals : undefined);
    finishIfDone();
  };

  return {
    get stopping(): boolean {
      return stopping !== null;
    },
    /** Stop the cluster with this exit code, at once (a crash loop, a fatal error). */
    stop(exitCode: number, reason: string): void {
      if (stopping === null) begin(exitCode, reason, false);
    },
    /** SIGINT/SIGTERM: the first stops the cluster (after the delay); a second means "now". */
    signal(name: NodeJS.Signals): void {
      signals += 1;
      if (stopping === null) {
        begin(0, name, true);
        return;
      }
      if (waitTimer !== undefined) {
        log.info(`${name} again: skipping the rest of the ${delayMs} ms wait; stopping the workers now`);
        armKill();
        for (const worker of pool.all()) shutdown(worker, name, signals);
        return;
      }
      // The user does not want to wait.
      for (const worker of pool.all()) worker.process.kill('SIGKILL');
    },
    /** A worker exited: maybe the last one. */
    workerExited: finishIfDone,
  };
};
