// A worker: its own copy of every counter and cache (the Lab), the Hono app on @hono/node-server,
// and a drain on shutdown. node:cluster shares the listening socket, so every worker listens on the
// same port and the primary decides which worker gets each new connection.
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Redis } from 'ioredis';
import { createApp } from '../app.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { Requester } from '../ipc.js';
import { createLab } from '../lab.js';
import type { Logger } from '../log.js';
import { isLabMessage, type PrimaryMessage, type WorkerMessage } from '../messages.js';
import { connectRedis, createRedisClient } from '../redis/client.js';
import type { WorkerIdentity } from '../stats.js';

/** How long a worker waits for the primary to answer an IPC counter or /cluster request. */
export const IPC_TIMEOUT_MS = 2000;

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

    const lab = createLab({
      config,
      identity,
      redis,
      askPrimary: async (by) => {
        const reply = await requester.request<Extract<PrimaryMessage, { type: 'ipc-increment-result' }>>(
          (seq) => sendToPrimary({ type: 'ipc-increment', seq, by }),
          IPC_TIMEOUT_MS,
          'the IPC counter',
        );
        return reply.value;
      },
    });
    const app = createApp({
      lab,
      clusterStats: async () => {
        const reply = await requester.request<Extract<PrimaryMessage, { type: 'cluster-stats-result' }>>(
          (seq) => sendToPrimary({ type: 'cluster-stats', seq }),
          IPC_TIMEOUT_MS,
          'the cluster stats',
        );
        return reply.cluster;
      },
    });

    const handle = getRequestListener(app.fetch);
    const workerId = String(identity.id);
    const workerPid = String(identity.pid);
    // Headers and the request count are set here, on the raw response, rather than in a Hono
    // middleware: one less async layer on every request. writeHead() merges them with the app's.
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      lab.requests += 1;
      response.setHeader('x-worker-id', workerId);
      response.setHeader('x-worker-pid', workerPid);
      // Node ends the connection after this response: the next request is a new connection, which
      // the primary may hand to another worker.
      if (!config.keepAlive) response.setHeader('connection', 'close');
      // The listener answers 500 itself if the app throws; it never rejects.
      void handle(request, response);
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
        resolve(0);
      });
      server.closeIdleConnections();
    };

    process.on('message', (message: unknown) => {
      if (!isLabMessage(message)) return;
      const typed = message as PrimaryMessage;
      switch (typed.type) {
        case 'ipc-increment-result':
        case 'cluster-stats-result':
          requester.settle(typed);
          break;
        case 'stats':
          sendToPrimary({ type: 'stats-result', ack: typed.seq, stats: lab.stats() });
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
