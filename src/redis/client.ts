// One ioredis client per process, tuned to fail fast: no offline queue and no retries per command,
// so a request never waits on a Redis that is gone (it gets a 503 or a cache bypass at once), while
// the connection keeps reconnecting in the background and the routes recover by themselves.
import { Redis } from 'ioredis';
import { AppError } from '../errors.js';

/** Bound on any one command, for a Redis that is up but not answering (stopped, overloaded). */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
/** Longest pause between reconnection attempts. */
export const REDIS_MAX_RETRY_DELAY_MS = 500;

export interface RedisClientOptions {
  /** Shown in CLIENT LIST, to tell the workers' connections apart. */
  name: string;
}

export const createRedisClient = (url: string, { name }: RedisClientOptions): Redis =>
  new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, REDIS_MAX_RETRY_DELAY_MS),
  });

/** Connect, or find out that Redis is down, within about `timeoutMs`; true when ready. */
export const connectRedis = async (client: Redis, timeoutMs = REDIS_CONNECT_TIMEOUT_MS * 2): Promise<boolean> => {
  if (client.status === 'ready') return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  const ready = await Promise.race([connected, timeout]);
  clearTimeout(timer);
  return ready;
};

export const isRedisUp = (client: Redis | null): boolean => client?.status === 'ready';

/** A Redis URL fit for a banner or a log: the password replaced by ***. */
export const redactRedisUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
};

/** Wrap a failed command as the 503 the routes answer with. */
const redisDown = (error: unknown): AppError =>
  new AppError(
    'E_REDIS_DOWN',
    `Redis is not answering (${error instanceof Error ? error.message : String(error)}); the lab reconnects by itself when it is back.`,
    { cause: error },
  );

export const REDIS_DISABLED_HINT =
  'Redis is not configured: start the cluster with --redis-url redis://host:port (or REDIS_URL), or install redis-server (apt-get install redis-server) and the cluster starts a private one.';

/**
 * One Redis operation as the routes need it: a 503 with the hint when Redis is not configured, a
 * 503 E_REDIS_DOWN when a command fails (never a hang: see the client's timeouts).
 */
export const withRedis = async <T>(client: Redis | null, operation: (redis: Redis) => Promise<T>): Promise<T> => {
  if (client === null) throw new AppError('E_REDIS_DISABLED', REDIS_DISABLED_HINT);
  try {
    return await operation(client);
  } catch (error) {
    throw redisDown(error);
  }
};
