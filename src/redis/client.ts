// One ioredis client per process, tuned to fail fast: no offline queue and no retries per command,
// so a request never waits on a Redis that is gone (it gets a 503 or a cache bypass at once), while
// the connection keeps reconnecting in the background and the routes recover by themselves.
import { Redis, ReplyError } from 'ioredis';
import { AppError, isAppError } from '../errors.js';

export { redactRedisUrl } from './url.js';

/**
 * Bound on one Redis operation of a route, for a Redis that is up but not answering (stopped,
 * overloaded), counted from the moment the route asks: see withRedis for why ioredis's own
 * commandTimeout is not enough.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Bound on /healthz's PING: a Redis on loopback answers in well under a millisecond. */
export const REDIS_HEALTH_TIMEOUT_MS = 500;
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

/**
 * Clients whose last operation ran out of time: connected, but Redis did not answer (SIGSTOP, a
 * stalled disk under `appendfsync always`, a full network buffer). The connection's status stays
 * `ready` all along, so the status alone would report such a Redis as up.
 */
const unanswered = new WeakSet<Redis>();

/** Connected, and its last operation was answered. */
export const isRedisUp = (client: Redis | null): boolean =>
  client !== null && client.status === 'ready' && !unanswered.has(client);

/**
 * What a failed command means for the routes. Redis answered with an error (ioredis's ReplyError:
 * the server is there, it refused): out of memory, a counter overflow, a wrong type. Anything else —
 * a closed connection, no connection, a timeout — is Redis not answering, a 503 that heals by itself.
 */
const describeFailure = (error: unknown): AppError => {
  if (isAppError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof ReplyError) {
    if (detail.startsWith('OOM')) {
      return new AppError(
        'E_REDIS_OOM',
        `Redis is full and refused the write (${detail}). A private redis-server is bounded by --redis-max-memory-mb: raise it, or free keys that have no TTL.`,
        { cause: error },
      );
    }
    if (detail.includes('would overflow')) {
      return new AppError('E_COUNTER_OVERFLOW', `Redis refused the increment (${detail}).`, { cause: error });
    }
    return new AppError('E_REDIS_REPLY', `Redis answered with an error: ${detail}`, { cause: error });
  }
  return new AppError(
    'E_REDIS_DOWN',
    `Redis is not answering (${detail}); the lab reconnects by itself when it is back.`,
    { cause: error },
  );
};

/** Codes that mean "Redis failed this command" (down, full, or an error reply): a cache skips Redis then. */
export const REDIS_FAILURES: ReadonlySet<string> = new Set(['E_REDIS_DOWN', 'E_REDIS_OOM', 'E_REDIS_REPLY']);

export const REDIS_DISABLED_HINT =
  'Redis is not configured: start the cluster with --redis-url redis://host:port (or REDIS_URL), or install redis-server (apt-get install redis-server) and the cluster starts a private one.';

const timedOut = (timeoutMs: number): Error =>
  Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'E_REDIS_TIMEOUT' });

/**
 * One Redis operation as the routes need it: a 503 with the hint when Redis is not configured, a
 * 503 E_REDIS_DOWN when Redis does not answer or takes longer than `timeoutMs` from this call, a
 * named error when it answers with one (E_REDIS_OOM, E_COUNTER_OVERFLOW, E_REDIS_REPLY). An AppError
 * the operation throws itself passes through.
 *
 * The bound is ours, not only ioredis's commandTimeout: that one starts when a command is written
 * to the socket, and with auto-pipelining a command waits, unwritten, until the pipeline before it
 * has settled. Against a Redis that stopped answering, the first pipeline times out after 1 s and
 * only then is the next one written and timed: its commands answered after 2 s (measured: p50
 * 2,002 ms under load). Counting from the call keeps the documented bound whatever the queue holds.
 */
export const withRedis = async <T>(
  client: Redis | null,
  operation: (redis: Redis) => Promise<T>,
  timeoutMs = REDIS_COMMAND_TIMEOUT_MS,
): Promise<T> => {
  if (client === null) throw new AppError('E_REDIS_DISABLED', REDIS_DISABLED_HINT);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timedOut(timeoutMs)), timeoutMs);
  });
  try {
    // The command that loses the race stays in ioredis's queue until its own timeout settles it.
    const result = await Promise.race([operation(client), deadline]);
    unanswered.delete(client);
    return result;
  } catch (error) {
    if (isTimeout(error)) unanswered.add(client);
    throw describeFailure(error);
  } finally {
    clearTimeout(timer);
  }
};

const isTimeout = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'E_REDIS_TIMEOUT' ||
  (error instanceof Error && error.message === 'Command timed out');

export type RedisHealth = 'up' | 'down' | 'not configured';

/**
 * Redis as /healthz reports it: asked, not assumed. A PING bounded at REDIS_HEALTH_TIMEOUT_MS, so a
 * Redis that is connected but silent reads `down` (and its recovery reads `up`) without waiting for
 * a route to find out.
 */
export const checkRedis = async (client: Redis | null): Promise<RedisHealth> => {
  if (client === null) return 'not configured';
  if (client.status !== 'ready') return 'down';
  try {
    await withRedis(client, (redis) => redis.ping(), REDIS_HEALTH_TIMEOUT_MS);
    return 'up';
  } catch {
    return 'down';
  }
};
