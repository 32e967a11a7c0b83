// The primary: forks the workers, replaces the ones that die, stops on a crash loop, and shuts the
// cluster down on SIGINT/SIGTERM. It serves no HTTP itself: node:cluster hands each new connection to
// a worker in turn (round robin), which is why a keep-alive client stays on one worker. Each concern
// is a part of its own: the register of workers (pool.ts), the conversation with them (hub.ts), the
// shared counters (shared-state.ts), reload (reload.ts), shutdown (shutdown.ts), the banner.
import type { Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { COUNTER_STRATEGIES } from '../counters/registry.js';
import type { CounterStrategy } from '../counters/strategy.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { isRedisUp } from '../redis/client.js';
import { createAdminGuard } from './admin-guard.js';
import { formatBanner } from './banner.js';
import { CRASH_LOOP_MAX_DEATHS, CRASH_LOOP_WINDOW_MS, createCrashGuard } from './crash-guard.js';
import { startHeartbeat } from './heartbeat.js';
import { createHub } from './hub.js';
import { createPrimaryMetrics } from './metrics.js';
import { createWorkerPool, identify } from './pool.js';
import { createRecycler, RECYCLED } from './recycle.js';
import { clearRedisCache } from './redis-cache-reset.js';
import { createReloader } from './reload.js';
import type { PrimaryResources } from './resources.js';
import { createSharedCounters } from './shared-state.js';
import { createShutdown } from './shutdown.js';

export interface PrimaryOptions {
  /** Data dir and Redis, set up before the first fork; its config is the one workers get. */
  resources: PrimaryResources;
  log: Logger;
  /** Where the banner goes. @default process.stdout */
  out?: NodeJS.WritableStream;
  /** The script a worker runs: the CLI, which picks the worker side. */
  workerScript: string;
  /** The counter strategies. @default COUNTER_STRATEGIES */
  strategies?: readonly CounterStrategy[];
}

const describeExit = (code: number | null, signal: string | null): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;

const urlOf = (address: AddressInfo): string =>
  `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;

/** How long a worker that asked for its own kill gets to write its answer first. */
const SELF_KILL_DELAY_MS = 150;

/** Run the cluster until it is told to stop; resolves to the process exit code. */
export const runPrimary = ({
  resources,
  log,
  out = process.stdout,
  workerScript,
  strategies = COUNTER_STRATEGIES,
}: PrimaryOptions): Promise<number> =>
  new Promise((resolve) => {
    const { config } = resources;
    const crashGuard = createCrashGuard();
    let restarts = 0;
    let ready = false;
    // Switched at run time (POST /admin/keep-alive): workers forked later boot with the current value.
    let keepAlive = config.keepAlive;

    const tellShutdown = (worker: Worker, reason: string, signals?: number): void =>
      pool.channelOf(worker)?.notify('shutdown', signals === undefined ? { reason } : { reason, signals });

    const hub = createHub({
      instance: config.instance,
      keepAlive: () => keepAlive,
      admin: config.adminToken !== null,
      clearSharedCache: () => clearRedisCache(resources.redis, config.redisPrefix),
      liveWorkers: () =>
        pool.live().flatMap((worker) => {
          const channel = pool.channelOf(worker);
          return channel === undefined ? [] : [{ identity: identify(config.instance, worker), channel }];
        }),
      strategies,
      restarts: () => restarts,
      recycled: () => recycler.count(),
      redis: resources.redisView,
      dataDir: config.dataDir,
      reload: () => reloader.reload(),
      isRunning: (id) => pool.all().some((worker) => worker.id === id),
      primaryRegistry: createPrimaryMetrics({
        restarts: () => restarts,
        liveWorkers: () => pool.live().length,
        sharedValues: () => shared.read(),
        redisUp: () => (resources.redis === null ? null : isRedisUp(resources.redis)),
      }),
    });
    const shared = createSharedCounters({ strategies, config, redis: resources.redis, handle: hub.handle });
    hub.useSharedCounters(shared);
    const adminGuard = createAdminGuard({
      maxFailures: config.adminMaxFailures,
      windowMs: config.adminFailureWindowS * 1000,
      log,
    });
    hub.handle('admin-attempt', (attempt) => adminGuard.attempt(attempt));
    hub.handle('kill-worker', ({ id, from }) => {
      const victim = pool.all().find((worker) => worker.id === id);
      if (victim === undefined || shutdown.stopping) {
        throw new AppError('E_NOT_FOUND', `There is no running worker ${id}; /cluster lists the workers.`);
      }
      // A death (SIGKILL: its memory goes with it), replaced like one, but no sign of a crash loop.
      pool.expectDeath(victim, 'POST /admin/kill');
      log.warn(`worker ${id} (pid ${victim.process.pid}): SIGKILL, as asked (POST /admin/kill)`);
      const kill = (): void => {
        victim.process.kill('SIGKILL');
      };
      if (from === id) setTimeout(kill, SELF_KILL_DELAY_MS);
      else kill();
      return identify(config.instance, victim);
    });
    hub.handle('redis-control', ({ action }) => resources.controlRedis(action));
    hub.handle('keep-alive', ({ on }) => {
      const changed = keepAlive !== on;
      keepAlive = on;
      const workers = pool.all();
      for (const worker of workers) pool.channelOf(worker)?.notify('keep-alive', { on });
      if (changed) {
        log.info(
          `keep-alive ${on ? 'on: connections stay open' : 'off: every response closes its connection'} (POST /admin/keep-alive)`,
        );
      }
      return { keep_alive: on, workers: workers.length };
    });

    const pool = createWorkerPool({
      workerScript,
      schedule: config.schedule,
      attach(channel, worker) {
        hub.attach(channel);
        channel.handle('boot', () => ({ config: { ...config, keepAlive } }));
        channel.on('exiting', ({ reason }) => pool.expectExit(worker, reason));
        channel.on('recycle', ({ stage, served }) => recycler.report(worker, stage, served));
        channel.on('fatal', ({ message }) => {
          // Every worker hits the same wall (a taken port): say it once.
          if (shutdown.stopping) return;
          log.error(message);
          shutdown.stop(1, 'fatal error in a worker');
        });
      },
      onListening(worker, address) {
        if (shutdown.stopping) {
          // It was still booting when the others were told to stop, and may have missed the word.
          tellShutdown(worker, 'the cluster is stopping');
          return;
        }
        if (ready) {
          log.info(`worker ${worker.id} (pid ${worker.process.pid}) up`);
          return;
        }
        // Reload and replacement workers listen later; the first full set makes the banner.
        if (pool.live().length < config.workers) return;
        ready = true;
        announce(urlOf(address), performance.now());
      },
      onExit(worker, { code, signal, retired, planned }) {
        hub.workerExited(identify(config.instance, worker), {
          code,
          signal,
          reason: planned ?? (retired ? (shutdown.stopping ? 'shutdown' : 'reload') : null),
        });
        if (shutdown.stopping) {
          shutdown.workerExited();
          return;
        }
        if (retired) return;
        if (planned !== null) {
          // Asked for (POST /admin/crash, --max-requests): replaced and counted, but no sign of a crash loop.
          restarts += 1;
          const tookOver = planned === RECYCLED ? recycler.exited(worker) : undefined;
          if (tookOver !== undefined) {
            log.info(
              `worker ${worker.id} (pid ${worker.process.pid}) ${describeExit(code, signal)} as planned (${planned}); worker ${tookOver.id} (pid ${tookOver.process.pid}) had taken over`,
            );
            return;
          }
          const replacement = pool.fork();
          log.info(
            `worker ${worker.id} (pid ${worker.process.pid}) ${describeExit(code, signal)} as planned (${planned}); worker ${replacement.id} (pid ${replacement.process.pid}) starting to replace it`,
          );
          return;
        }
        log.warn(`worker ${worker.id} (pid ${worker.process.pid}) ${describeExit(code, signal)}`);
        if (crashGuard.recordDeath()) {
          log.error(
            `crash loop: more than ${CRASH_LOOP_MAX_DEATHS} worker deaths within ${CRASH_LOOP_WINDOW_MS / 1000} s; stopping the cluster instead of forking forever`,
          );
          shutdown.stop(1, 'crash loop');
          return;
        }
        restarts += 1;
        const replacement = pool.fork();
        log.info(`worker ${replacement.id} (pid ${replacement.process.pid}) starting to replace worker ${worker.id}`);
      },
    });

    const recycler = createRecycler({ pool, log, stopping: () => shutdown.stopping, shutdown: tellShutdown });

    const onSignal = (signal: NodeJS.Signals): void => shutdown.signal(signal);
    const shutdown = createShutdown({
      pool,
      log,
      timeoutMs: config.shutdownTimeoutMs,
      delayMs: config.shutdownDelayMs,
      shutdown: tellShutdown,
      onDone(exitCode) {
        adminGuard.stop();
        heartbeat.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(exitCode);
      },
    });
    const reloader = createReloader({
      pool,
      log,
      drainTimeoutMs: config.shutdownTimeoutMs,
      stopping: () => shutdown.stopping,
      shutdown: tellShutdown,
    });

    /** The banner for people (stdout), then the ready event for tools (a log line with `event: ready`). */
    const announce = (url: string, readyMs: number): void => {
      const workers = pool.live().map((worker) => identify(config.instance, worker));
      const redis = resources.redisView();
      // The banner's shared state is read once (a file and maybe Redis); it never rejects.
      void shared.read().then((values) => {
        out.write(
          `${formatBanner({ config, url, workers, readyMs, shared: values, redis, redisOrigin: resources.redisOrigin, privateRedis: resources.privateRedis })}\n`,
        );
        log.info(`ready: ${workers.length} worker(s) on ${url}`, {
          event: 'ready',
          url,
          ready_ms: Math.round(readyMs),
          instance: config.instance,
          workers: workers.map(({ id, pid }) => ({ id, pid })),
          redis: { origin: resources.redisOrigin, url: redis.url },
          schedule: config.schedule,
        });
      });
    };

    // Only serving workers are asked; during a shutdown none is (each one has its drain bound).
    const heartbeat = startHeartbeat({
      graceMs: config.heartbeatGraceMs,
      workers: () => (shutdown.stopping ? [] : pool.live()),
      channelOf: (worker) => pool.channelOf(worker),
      log,
    });

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Before any worker serves: "since the start" is counted from the stores as they are now.
    void hub.takeBaselines();
    for (let index = 0; index < config.workers; index += 1) {
      const worker = pool.fork();
      log.info(`worker ${worker.id} (pid ${worker.process.pid}) starting`);
    }
  });
