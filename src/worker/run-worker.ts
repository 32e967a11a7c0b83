// A worker: its own copy of every counter and cache (the Lab), the Hono app on @hono/node-server,
// and a drain on shutdown. node:cluster shares the listening socket, so every worker listens on the
// same port and the primary decides which worker gets each new connection.
import cluster from 'node:cluster';
import { getRequestListener } from '@hono/node-server';
import type { Redis } from 'ioredis';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { isUncounted } from '../feed.js';
import type { WorkerChannel } from '../ipc/protocol.js';
import { createLab } from '../lab.js';
import { describeListenError } from '../listen-error.js';
import type { Logger } from '../log.js';
import { createRouteLabeler, createWorkerMetrics } from '../metrics.js';
import { connectRedis, createRedisClient } from '../redis/client.js';
import type { WorkerIdentity } from '../stats.js';
import { createDrain } from './drain.js';
import { createHttpServer } from './http-server.js';
import { startIdleShrink } from './idle-shrink.js';
import { createRecycleTrigger, drawRequestLimit } from './recycle.js';
import { createReporter } from './reporter.js';
import { answerPrimary, primaryAdmin, primaryViews } from './rpc.js';
import { createSignalStop } from './signal-stop.js';

export interface WorkerOptions {
  config: Config;
  log: Logger;
  channel: WorkerChannel;
}

interface WorkerRedis {
  redis: Redis | null;
  /** Close the connection on purpose (a shutdown): that is not logged as Redis going down. */
  close(): void;
}

/** This worker's Redis connection, open (or known to be down) before the worker listens. */
const connectWorkerRedis = async (config: Config, log: Logger, workerId: number): Promise<WorkerRedis> => {
  if (config.redisUrl === null) return { redis: null, close() {} };
  const redis = createRedisClient(config.redisUrl, { name: `cluster-state-lab:worker-${workerId}` });
  let up = false;
  let closing = false;
  // Log transitions, not every failed reconnection attempt.
  redis.on('ready', () => {
    if (!up) log.info(`worker ${workerId}: Redis up`);
    up = true;
  });
  redis.on('close', () => {
    if (up && !closing) {
      log.warn(`worker ${workerId}: Redis down; Redis routes answer 503 (cache: database) until it is back`);
    }
    up = false;
  });
  redis.on('error', () => {});
  if (!(await connectRedis(redis)))
    log.warn(`worker ${workerId}: Redis is down at start-up; reconnecting in the background`);
  return {
    redis,
    close() {
      closing = true;
      redis.disconnect();
    },
  };
};

/** Serve until told to stop; resolves to the process exit code. */
export const runWorker = async ({ config, log, channel }: WorkerOptions): Promise<number> => {
  const identity: WorkerIdentity = { instance: config.instance, id: cluster.worker?.id ?? 0, pid: process.pid };
  const { redis, close } = await connectWorkerRedis(config, log, identity.id);
  return serve({ config, log, channel, identity, redis, closeRedis: close });
};

const serve = ({
  config,
  log,
  channel,
  identity,
  redis,
  closeRedis,
}: WorkerOptions & { identity: WorkerIdentity; redis: Redis | null; closeRedis: () => void }): Promise<number> =>
  new Promise((resolve) => {
    const lab = createLab({
      config,
      identity,
      redis,
      channel,
      onCacheTampered: (key) =>
        log.warn(`worker ${identity.id}: the cached value at ${key} failed authentication; treated as a miss`),
    });
    const metrics = createWorkerMetrics(lab);
    answerPrimary(channel, lab, metrics);
    const reporter = createReporter(() => channel.notify('report', { stats: lab.stats(), feed: lab.feed.take() }));
    let keepAlive = config.keepAlive;
    const signalStop = createSignalStop({
      delayMs: config.shutdownDelayMs,
      drain: (reason) => drain.drain(reason),
    });
    const app = createApp({
      lab,
      health: () => (signalStop.draining ? 'draining' : 'ok'),
      ...primaryViews(channel),
      admin:
        config.adminToken === null
          ? null
          : {
              token: config.adminToken,
              crash: () => {
                log.warn(`worker ${identity.id} (pid ${identity.pid}) exiting with code 1: POST /admin/crash`);
                // A planned exit: the primary replaces this worker without counting it towards a crash loop.
                channel.notify('exiting', { reason: 'POST /admin/crash' });
                // The answer leaves during the linger; then this process, and its memory, is gone.
                drain.leave(1);
              },
              ...primaryAdmin(channel, identity.id),
            },
    });

    // Its own boot, from process start to listening: about what its replacement will take.
    let bootMs = 0;
    let served = 0;
    const recycle =
      config.maxRequests === 0
        ? null
        : createRecycleTrigger({
            limit: drawRequestLimit(config.maxRequests, config.maxRequestsJitter),
            bootMs: () => bootMs,
            notify: (body) => channel.notify('recycle', body),
          });

    const server = createHttpServer({
      identity,
      keepAlive: () => keepAlive,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      // The URL's host when the request names none (HTTP/1.0): no route reads it.
      handle: getRequestListener(app.fetch, { hostname: 'localhost' }),
      observe: metrics.observeRequest,
      served: (method, path, status, socket) => {
        // Recycling counts every request served, the introspection ones too, and is never reset.
        served += 1;
        recycle?.(served);
        if (isUncounted(path)) return;
        lab.requests += 1;
        lab.feed.add(method, path, status, socket.remoteAddress ?? '', socket.remotePort ?? 0);
        reporter.changed();
      },
      routeOf: createRouteLabeler(app.routes),
    });

    // Give back the young generation a load grew, once the worker is idle again.
    const stopIdleShrink = startIdleShrink({ served: () => served, gc: globalThis.gc });

    const drain = createDrain({
      server,
      closeRedis,
      log,
      identity,
      timeoutMs: config.shutdownTimeoutMs,
      exit: resolve,
      onClosed: () => {
        stopIdleShrink();
        // Every response is written: its last report, so that what it leaves with is known exactly.
        reporter.flush();
        channel.close(new AppError('E_IPC_TIMEOUT', 'The worker is shutting down.'));
        // Every response is written: these are this worker's final counts, for /metrics to keep.
        void metrics.json().then((json) => channel.notify('last-metrics', { id: identity.id, metrics: json }));
      },
    });
    channel.on('shutdown', ({ reason, signals }) => {
      if (signals === undefined) drain.drain(`asked by the primary: ${reason}`);
      else signalStop.signal(`${reason}, by the primary`, signals);
    });
    channel.on('keep-alive', ({ on }) => {
      keepAlive = on;
      // Idle kept-alive connections go now, so a browser's next refresh opens a new one at once;
      // busy ones close after their next response (its `connection: close`).
      if (!on) server.closeIdleConnections();
    });
    // Ctrl-C reaches every process of the terminal's group: stop as on the primary's word.
    let ownSignals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      ownSignals += 1;
      signalStop.signal(signal, ownSignals);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    server.on('error', (error: NodeJS.ErrnoException) => {
      channel.notify('fatal', {
        code: error.code === 'EADDRINUSE' ? 'E_PORT_IN_USE' : 'E_LISTEN',
        message: describeListenError(config, error),
      });
      // Nothing to serve and nothing to drain: leave, and let the primary stop the others.
      drain.abandon(1);
    });
    server.once('listening', () => {
      bootMs = performance.now();
    });
    server.listen(config.port, config.host);
  });
