// A few connections of a worker's own, lent to one caller at a time, for commands whose state lives
// on the connection (WATCH … EXEC). The shared client cannot carry them: it auto-pipelines every
// request's commands onto one socket, so another request's WATCH, EXEC or SET would land inside a
// transaction (an EXEC clears every WATCH on its connection), and the guard would silently vanish.
import { Semaphore, withTimeout } from 'async-mutex';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { connectRedis, REDIS_CONNECT_TIMEOUT_MS } from './client.js';

/** How long a caller waits for a free connection before it is told the worker is too busy. */
export const DEDICATED_WAIT_TIMEOUT_MS = 2000;

export interface DedicatedConnections {
  /**
   * Run `use` with a connection nobody else uses meanwhile, once one is free (a 503 E_CONTENTION
   * after DEDICATED_WAIT_TIMEOUT_MS). If `use` fails, the connection is dropped (a timed-out command
   * may still be running on it, a WATCH may still be set) and a new one is opened for the next caller.
   */
  withConnection<T>(use: (connection: Redis) => Promise<T>): Promise<T>;
  /** Connections open now (for tests). */
  readonly open: number;
}

/**
 * Up to `size` duplicates of `client`, opened when first needed and closed when `client` ends (the
 * worker's drain closes it), so they live exactly as long as the worker's own connection.
 */
export const createDedicatedConnections = (
  client: Redis,
  size: number,
  waitTimeoutMs = DEDICATED_WAIT_TIMEOUT_MS,
): DedicatedConnections => {
  const permits = withTimeout(
    new Semaphore(size),
    waitTimeoutMs,
    new AppError(
      'E_CONTENTION',
      `No Redis connection of this worker came free within ${waitTimeoutMs} ms: too many transactions wait here; retry.`,
    ),
  );
  const idle: Redis[] = [];
  const all = new Set<Redis>();
  let ended = false;
  client.once('end', () => {
    ended = true;
    for (const connection of all) connection.disconnect();
    all.clear();
    idle.length = 0;
  });

  const open = async (): Promise<Redis> => {
    // Its own socket, and no pipeline to share: one caller's commands in order.
    const connection = client.duplicate({
      enableAutoPipelining: false,
      connectionName: `${client.options.connectionName ?? 'cluster-state-lab'}:dedicated`,
    });
    connection.on('error', () => {});
    all.add(connection);
    if (!(await connectRedis(connection, REDIS_CONNECT_TIMEOUT_MS))) {
      drop(connection);
      throw new AppError(
        'E_REDIS_DOWN',
        'Redis is not answering (a dedicated connection could not be opened); the lab reconnects by itself when it is back.',
      );
    }
    return connection;
  };
  const drop = (connection: Redis): void => {
    all.delete(connection);
    connection.disconnect();
  };

  return {
    async withConnection(use) {
      const [, release] = await permits.acquire();
      try {
        if (ended) throw new AppError('E_REDIS_DOWN', 'The worker is closing its Redis connections.');
        const connection = idle.pop() ?? (await open());
        try {
          const result = await use(connection);
          idle.push(connection);
          return result;
        } catch (error) {
          drop(connection);
          throw error;
        }
      } finally {
        release();
      }
    },
    get open() {
      return all.size;
    },
  };
};
