// The primary: forks the workers, replaces the ones that die, stops on a crash loop, and shuts the
// cluster down on SIGINT/SIGTERM. It serves no HTTP itself: node:cluster hands each new connection to
// a worker in turn (round robin), which is why a keep-alive client stays on one worker.
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import { workerEnv } from '../config.js';
import type { Logger } from '../log.js';
import { isLabMessage, type ReloadResult, type WorkerMessage } from '../messages.js';
import { isRedisUp } from '../redis/client.js';
import { formatBanner } from './banner.js';
import { CRASH_LOOP_MAX_DEATHS, CRASH_LOOP_WINDOW_MS, createCrashGuard } from './crash-guard.js';
import { createHub, identify, type SharedState, send } from './hub.js';
import { createPrimaryMetrics } from './metrics.js';
import type { PrimaryResources } from './resources.js';

/** Grace after --shutdown-timeout-ms before the primary kills a worker that has not exited. */
const KILL_GRACE_MS = 1000;
/** Scheduling priority of a booting worker (-20 highest); back to 0 once it listens. */
const BOOT_NICENESS = -10;

const setNiceness = (worker: Worker, niceness: number): void => {
  try {
    if (worker.process.pid !== undefined) setPriority(worker.process.pid, niceness);
  } catch {
    // Not permitted (not root) or already gone: it boots at normal priority.
  }
};

/** How long a reload waits for a new worker to listen before it gives up (and keeps the old one). */
const RELOAD_START_TIMEOUT_MS = 15_000;

export interface PrimaryOptions {
  /** Data dir and Redis, set up before the first fork; its config is the one workers get. */
  resources: PrimaryResources;
  log: Logger;
  /** Where the banner goes. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** The script a worker runs: the CLI, which picks the worker side. */
  workerScript: string;
}

const describeExit = (code: number | null, signal: string | null): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;

/** Run the cluster until it is told to stop; resolves to the process exit code. */
export const runPrimary = ({ resources, log, out = process.stdout, workerScript }: PrimaryOptions): Promise<number> =>
  new Promise((resolve) => {
    const { config } = resources;
    const listening = new Set<number>();
    const crashGuard = createCrashGuard();
    let restarts = 0;
    let ready = false;
    let stopping: { exitCode: number } | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let reloading = false;
    /** Workers told to drain by a reload: their exit is the plan, not a death. */
    const retiring = new Set<number>();

    // Our own register of worker processes that have not exited. cluster.workers is not enough: Node
    // drops a worker from it only once both its 'exit' and its 'disconnect' have happened, in either
    // order, so on 'exit' alone a dead worker may still be listed — and a shutdown would wait forever.
    const running = new Map<number, Worker>();
    const allWorkers = (): Worker[] => [...running.values()];
    const liveWorkers = (): Worker[] => allWorkers().filter((worker) => listening.has(worker.id));

    const stop = (exitCode: number, reason: string): void => {
      if (stopping) {
        // A second signal: the user does not want to wait.
        if (reason.startsWith('SIG')) for (const worker of allWorkers()) worker.process.kill('SIGKILL');
        return;
      }
      stopping = { exitCode };
      log.info(`${reason}: stopping ${allWorkers().length} worker(s), waiting up to ${config.shutdownTimeoutMs} ms`);
      for (const worker of allWorkers()) send(worker, { type: 'shutdown' });
      killTimer = setTimeout(() => {
        for (const worker of allWorkers()) {
          log.warn(`worker ${worker.id} (pid ${worker.process.pid}) did not stop in time; killing it`);
          worker.process.kill('SIGKILL');
        }
      }, config.shutdownTimeoutMs + KILL_GRACE_MS);
      finishIfDone();
    };

    const finishIfDone = (): void => {
      if (!stopping || allWorkers().length > 0) return;
      clearTimeout(killTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      cluster.off('message', onMessage);
      log.info(`all workers stopped; exiting with code ${stopping.exitCode}`);
      resolve(stopping.exitCode);
    };

    /** Resolves true once `worker` listens, false if it exits or takes too long. */
    const whenListening = (worker: Worker): Promise<boolean> =>
      new Promise((settle) => {
        const timer = setTimeout(() => settle(false), RELOAD_START_TIMEOUT_MS);
        worker.once('listening', () => {
          clearTimeout(timer);
          settle(true);
        });
        worker.once('exit', () => {
          clearTimeout(timer);
          settle(false);
        });
      });

    const retire = (worker: Worker): Promise<void> =>
      new Promise((settle) => {
        retiring.add(worker.id);
        listening.delete(worker.id);
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), config.shutdownTimeoutMs + KILL_GRACE_MS);
        worker.once('exit', () => {
          clearTimeout(timer);
          settle();
        });
        send(worker, { type: 'shutdown' });
      });

    // A rolling restart: one worker at a time, the new one listening before the old one drains, so
    // there is always a full set of workers to take connections.
    const rollingReload = async (): Promise<void> => {
      const olds = liveWorkers();
      log.info(`reload: replacing ${olds.length} worker(s) one at a time`);
      for (const old of olds) {
        if (stopping) return;
        const fresh = fork();
        log.info(`reload: worker ${fresh.id} (pid ${fresh.process.pid}) starting to take over from worker ${old.id}`);
        if (!(await whenListening(fresh))) {
          log.error(`reload: worker ${fresh.id} did not start listening; reload stopped, worker ${old.id} kept`);
          return;
        }
        await retire(old);
        log.info(`reload: worker ${old.id} (pid ${old.process.pid}) drained and retired`);
      }
      log.info('reload: done');
    };

    const reload = (): ReloadResult => {
      if (stopping || reloading) return { started: false, workers: liveWorkers().length };
      reloading = true;
      void rollingReload().finally(() => {
        reloading = false;
      });
      return { started: true, workers: liveWorkers().length };
    };

    const sharedWithIpc = async (): Promise<SharedState> => {
      const state = await resources.sharedState();
      return { ...state, shared_counters: { ipc: hub.ipcCounter, ...state.shared_counters } };
    };

    const hub = createHub({
      liveWorkers,
      sharedState: () => resources.sharedState(),
      restarts: () => restarts,
      onFatal: (_worker, message) => {
        // Every worker hits the same wall (a taken port): say it once.
        if (stopping) return;
        log.error(message.message);
        stop(1, 'fatal error in a worker');
      },
      reload,
      resetShared: () => resources.resetShared(),
      primaryRegistry: createPrimaryMetrics({
        restarts: () => restarts,
        liveWorkers: () => liveWorkers().length,
        sharedState: sharedWithIpc,
        redisUp: () => (resources.redis === null ? null : isRedisUp(resources.redis)),
      }),
    });

    const onMessage = (worker: Worker, message: unknown): void => {
      if (isLabMessage(message)) hub.handle(worker, message as WorkerMessage);
    };
    const onSignal = (signal: NodeJS.Signals): void => stop(0, signal);

    const fork = (): Worker => {
      const worker = cluster.fork(workerEnv(config));
      running.set(worker.id, worker);
      // A replacement boots while the others are busy serving: let it have the CPU first, so the
      // cluster is back to full strength fast. Needs privileges; without them it boots at par.
      setNiceness(worker, BOOT_NICENESS);
      worker.once('listening', () => setNiceness(worker, 0));
      return worker;
    };

    cluster.setupPrimary({ exec: workerScript, args: [] });
    cluster.on('message', onMessage);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    cluster.on('listening', (worker, address: AddressInfo) => {
      if (stopping) {
        // It was still booting when the others were told to stop, and may have missed the word.
        send(worker, { type: 'shutdown' });
        return;
      }
      listening.add(worker.id);
      if (ready) {
        log.info(`worker ${worker.id} (pid ${worker.process.pid}) up`);
        return;
      }
      // Reload and replacement workers listen later; the first full set makes the banner.
      if (listening.size < config.workers) return;
      ready = true;
      const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
      const workers = liveWorkers().map(identify);
      const readyMs = performance.now();
      // The banner's shared state is read once (a file and maybe Redis); it never rejects.
      void resources.sharedState().then((shared) => {
        out.write(`${formatBanner({ config, url, workers, readyMs, shared, redisOrigin: resources.redisOrigin })}\n`);
      });
    });

    cluster.on('exit', (worker, code, signal) => {
      running.delete(worker.id);
      listening.delete(worker.id);
      if (stopping) {
        finishIfDone();
        return;
      }
      if (retiring.delete(worker.id)) return;
      log.warn(`worker ${worker.id} (pid ${worker.process.pid}) ${describeExit(code, signal)}`);
      if (crashGuard.recordDeath()) {
        log.error(
          `crash loop: more than ${CRASH_LOOP_MAX_DEATHS} worker deaths within ${CRASH_LOOP_WINDOW_MS / 1000} s; stopping the cluster instead of forking forever`,
        );
        stop(1, 'crash loop');
        return;
      }
      restarts += 1;
      const replacement = fork();
      log.info(`worker ${replacement.id} (pid ${replacement.process.pid}) starting to replace worker ${worker.id}`);
    });

    for (let index = 0; index < config.workers; index += 1) {
      const worker = fork();
      log.info(`worker ${worker.id} (pid ${worker.process.pid}) starting`);
    }
  });
