// The primary's half of --max-requests (src/worker/recycle.ts has the worker's). A worker asks for
// its replacement a little before its limit; the replacement boots and listens beside it (like one
// step of a rolling reload), and when the old worker reaches its limit it is told to drain: capacity
// does not drop, and the limit holds. If the replacement is late (a burst, a slow boot), the limit
// still holds while other workers listen (the cluster has one worker less until it is up); the last
// listening worker serves on until its replacement listens, because when the last listener closes
// its server, node:cluster closes the port itself and connections are refused (measured: 205 of 400
// requests, with 2 workers recycled at once). Its exit is planned: counted in `restarts` and
// `recycled`, never by the crash-loop guard, and not replaced twice.
import type { Worker } from 'node:cluster';
import type { Logger } from '../log.js';
import type { RecycleStage } from '../worker/recycle.js';
import type { WorkerPool } from './pool.js';
import { whenListening } from './reload.js';

/** Why a recycled worker's exit is planned: the sign not to replace it twice. */
export const RECYCLED = 'recycled';

export interface RecyclerOptions {
  pool: WorkerPool;
  log: Logger;
  /** True once the cluster is shutting down: nobody is replaced any more. */
  stopping: () => boolean;
  /** Tell a worker to drain and exit. */
  shutdown: (worker: Worker, reason: string) => void;
}

export interface Recycler {
  /** A worker's word about its limit (see RecycleStage). */
  report(old: Worker, stage: RecycleStage, served: number): void;
  /**
   * `old` exited as recycled: the replacement already started for it, if that one still runs (then
   * no other is needed). Counts the recycling.
   */
  exited(old: Worker): Worker | undefined;
  /** Workers recycled so far. */
  count(): number;
}

interface Replacement {
  fresh: Worker;
  listening: boolean;
}

export const createRecycler = ({ pool, log, stopping, shutdown }: RecyclerOptions): Recycler => {
  const replacements = new Map<number, Replacement>();
  /** Workers at their limit, waiting for their replacement to listen. */
  const due = new Set<number>();
  let recycled = 0;
  const running = (worker: Worker): boolean => pool.all().includes(worker);
  const serving = (worker: Worker): boolean => pool.live().includes(worker);

  const letGo = (old: Worker, reason: string): void => {
    due.delete(old.id);
    pool.expectExit(old, RECYCLED);
    shutdown(old, `${RECYCLED}: ${reason}`);
  };

  const replace = (old: Worker, served: number): void => {
    if (replacements.has(old.id)) return;
    // Not urgent: the old worker serves on meanwhile, so the boot need not take CPU from requests.
    const fresh = pool.fork({ urgent: false });
    const replacement: Replacement = { fresh, listening: false };
    replacements.set(old.id, replacement);
    log.info(
      `worker ${old.id} (pid ${old.process.pid}) is near its --max-requests (${served} served); worker ${fresh.id} (pid ${fresh.process.pid}) starting to take over`,
    );
    void whenListening(fresh).then((listening) => {
      if (!serving(old) || stopping()) return;
      if (!listening) {
        log.warn(`worker ${fresh.id} did not start listening; worker ${old.id} serves on meanwhile`);
        // A replacement that died is replaced like any dead worker (and counted by the crash guard).
        if (!running(fresh)) {
          replacements.delete(old.id);
          replace(old, served);
        }
        return;
      }
      replacement.listening = true;
      if (due.has(old.id)) letGo(old, `worker ${fresh.id} took over`);
    });
  };

  return {
    report(old, stage, served) {
      if (stopping() || !serving(old)) return;
      replace(old, served);
      if (stage !== 'due') return;
      due.add(old.id);
      const replacement = replacements.get(old.id);
      if (replacement?.listening) {
        letGo(old, `worker ${replacement.fresh.id} took over`);
        return;
      }
      // Late: go now if others listen; the last listener waits for its replacement (see above).
      const others = pool.live().filter((worker) => worker !== old).length;
      if (others > 0) letGo(old, `${others} other worker(s) serve until worker ${replacement?.fresh.id} listens`);
    },
    exited(old) {
      recycled += 1;
      due.delete(old.id);
      const replacement = replacements.get(old.id);
      replacements.delete(old.id);
      return replacement !== undefined && running(replacement.fresh) ? replacement.fresh : undefined;
    },
    count: () => recycled,
  };
};
