// A worker: its own copy of every counter and cache (the Lab), the Hono app on @hono/node-server,
// and a drain on shutdown. node:cluster shares the listening socket, so every worker listens on the
// same port and the primary decides which worker gets each new connection.
import cluster from 'node:cluster';
import { getRequestListener } from '@hono/node-server';
import type { Redis } from 'ioredis';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { Requester } from '../ipc.js';
import { createLab } from '../lab.js';
import type { Logger } from '../log.js';
import { isLabMessage, type PrimaryMessage, type Reply, type WorkerMessage } from '../messages.js';
import { createRouteLabeler, createWorkerMetrics } from '../metrics.js';
import { connectRedis, createRedisClient } from '../redis/client.js';
import type { WorkerIdentity } from '../stats.js';
import { createHttpServer } from './http-server.js';

/** How long a worker waits for the primary to answer an IPC counter or /cluster request. */
export const IPC_TIMEOUT_MS = 2000;
/** How long a drained worker keeps its IPC channel open before it exits. */
const DRAIN_LINGER_MS = 250;
/** Between answering POST /admin/crash and exiting. */
const CRASH_DELAY_MS = 50;

export interface WorkerOptions {
  config: Config;
  log: Logger;
}

const sendToPrimary = (message: WorkerMessage): void => {
  // With a callback a closed channel (primary gone) is not thrown; the worker exits on 'disconnect'.
  process.send?.(message, undefined, undefined, () => {});
};

/** This worker's Redis connection, open (or known to be down) before the worker listens. */
const connectWorkerRedis = async (config: Config, log: Logger, workerId: number): Promise<Redis | null> => {
  if (config.redisUrl === null) return null;
  const redis = createRedisClient(config.redisUrl, { name: `cluster-state-lab:worker-${workerId}` });
  let up = false;
  // Log transitions, not every failed reconnection attempt.
  redis.on('ready', () => {
    if (!up) log.info(`worker ${workerId}: Redis up`);
    up = true;
  });
  redis.on('close', () => {
    if (up) log.warn(`worker ${workerId}: Redis down; Redis routes answer 503 (cache: database) until it is back`);
    up = false;
  });
  redis.on('error', () => {});
  if (!(await connectRedis(redis)))
    log.warn(`worker ${workerId}: Redis is down at start-up; reconnecting in the background`);
  return redis;
};

/** Serve until told to stop; resolves to the process exit code. */
export const runWorker = async ({ config, log }: WorkerOptions): Promise<number> => {
  const identity = { id: cluster.worker?.id ?? 0, pid: process.pid };
  const redis = await connectWorkerRedis(config, log, identity.id);
  return serve({ config, log, identity, redis });
};

const serve = ({
  config,
  log,
  identity,
  redis,
}: WorkerOptions & { identity: WorkerIdentity; redis: Redis | null }): Promise<number> =>
  new Promise((resolve) => {
    const requester = new Requester();
    /** Ask the primary; resolves to its reply of type T, or rejects after IPC_TIMEOUT_MS (a 503). */
    const ask = <T extends Reply['type']>(build: (seq: number) => WorkerMessage, what: string) =>
      requester.request<Extract<Reply, { type: T }>>((seq) => sendToPrimary(build(seq)), IPC_TIMEOUT_MS, what);

    const lab = createLab({
      config,
      identity,
      redis,
      onCacheTampered: (key) =>
        log.warn(`worker ${identity.id}: the cached value at ${key} failed authentication; treated as a miss`),
      askPrimary: async (by) =>
        (await ask<'ipc-increment-result'>((seq) => ({ type: 'ipc-increment', seq, by }), 'the IPC counter')).value,
    });
    const metrics = createWorkerMetrics(lab);
    const app = createApp({
      lab,
      clusterStats: async () =>
        (await ask<'cluster-stats-result'>((seq) => ({ type: 'cluster-stats', seq }), 'the cluster stats')).cluster,
      metrics: async () => {
        const { text, contentType } = await ask<'metrics-result'>((seq) => ({ type: 'metrics', seq }), 'the metrics');
        return { text, contentType };
      },
      admin:
        config.adminToken === null
          ? null
          : {
              token: config.adminToken,
              crash: () => {
                log.warn(`worker ${identity.id} (pid ${identity.pid}) exiting with code 1: POST /admin/crash`);
                // Long enough for the answer to leave; then this process, and its memory, is gone.
                setTimeout(() => resolve(1), CRASH_DELAY_MS);
              },
              reset: async (shared) =>
                (await ask<'reset-result'>((seq) => ({ type: 'reset', seq, shared }), 'the reset')).result,
              reload: async () => (await ask<'reload-result'>((seq) => ({ type: 'reload', seq }), 'the reload')).result,
            },
    });

    const server = createHttpServer({
      identity,
      keepAlive: config.keepAlive,
      handle: getRequestListener(app.fetch),
      onRequest: () => {
        lab.requests += 1;
      },
      observe: metrics.observeRequest,
      routeOf: createRouteLabeler(app.routes),
    });

    let draining = false;
    const drain = (reason: string): void => {
      if (draining) return;
      draining = true;
      if (!server.listening) {
        // Never served (e.g. the port was taken): nothing to drain, and closing a server whose
        // listen() the primary has not answered yet trips Node's cluster code.
        redis?.disconnect();
        resolve(0);
        return;
      }
      const timer = setTimeout(() => {
        log.warn(
          `worker ${identity.id}: in-flight requests still open after ${config.shutdownTimeoutMs} ms; closing them`,
        );
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      timer.unref();
      log.info(`worker ${identity.id} (pid ${identity.pid}) draining (${reason})`);
      // close() stops accepting and waits for in-flight requests; idle keep-alive sockets go now.
      server.close(() => {
        clearTimeout(timer);
        requester.rejectAll(new AppError('E_IPC_TIMEOUT', 'The worker is shutting down.'));
        redis?.disconnect();
        // Stay on the IPC channel a moment: a connection the primary handed over just before it
        // learnt that this server closed is then refused and passed to another worker. Exiting at
        // once would leave it unanswered forever (node:cluster's hand-off has no failure path).
        setTimeout(() => resolve(0), DRAIN_LINGER_MS);
      });
      server.closeIdleConnections();
    };

    process.on('message', (message: unknown) => {
      if (!isLabMessage(message)) return;
      const typed = message as PrimaryMessage;
      switch (typed.type) {
        case 'ipc-increment-result':
        case 'cluster-stats-result':
        case 'metrics-result':
        case 'reset-result':
        case 'reload-result':
          requester.settle(typed);
          break;
        case 'stats':
          sendToPrimary({ type: 'stats-result', ack: typed.seq, stats: lab.stats() });
          break;
        case 'collect-metrics':
          void metrics.registry
            .getMetricsAsJSON()
            .then((json) => sendToPrimary({ type: 'collect-metrics-result', ack: typed.seq, metrics: json }))
            .catch((error: unknown) => log.error(`worker ${identity.id}: metrics failed: ${String(error)}`));
          break;
        case 'reset-local':
          lab.reset();
          sendToPrimary({ type: 'reset-local-result', ack: typed.seq });
          break;
        case 'shutdown':
          drain('asked by the primary');
          break;
      }
    });
    // Ctrl-C reaches every process of the terminal's group: drain like on the primary's word.
    process.on('SIGINT', () => drain('SIGINT'));
    process.on('SIGTERM', () => drain('SIGTERM'));

    server.on('error', (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use; stop what uses it or pick another with --port (0 = any free port).`
          : error.code === 'EADDRNOTAVAIL'
            ? `Cannot listen on ${where}: the address is not one of this machine's (check --host).`
            : error.code === 'EACCES'
              ? `Cannot listen on ${where}: permission denied (ports below 1024 need privileges).`
              : `Cannot listen on ${where}: ${error.message}`;
      sendToPrimary({ type: 'fatal', code: error.code === 'EADDRINUSE' ? 'E_PORT_IN_USE' : 'E_LISTEN', message });
      // Nothing to serve and nothing to drain: leave, and let the primary stop the others.
      draining = true;
      redis?.disconnect();
      resolve(1);
    });
    server.listen(config.port, config.host);
  });
