// What the primary sets up before it forks and tears down after the last worker exits: the data
// dir, and Redis — the user's (--redis-url), a private redis-server it starts, or none at all.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { connectRedis, createRedisClient, isRedisUp, REDIS_DISABLED_HINT } from '../redis/client.js';
import { findRedisServer } from '../redis/server.js';
import { redactRedisUrl } from '../redis/url.js';
import { sleep } from '../sleep.js';
import type { RedisView } from '../stats.js';
import { type PrivateRedis, startPrivateRedis } from './private-redis.js';

export type RedisOrigin = 'url' | 'private' | 'none';

/** How long POST /admin/redis/start waits for the primary's connection to come back. */
const RECONNECT_WAIT_MS = 3000;

export interface PrimaryResources {
  /** The config the workers get: `redisUrl` filled in when a private redis-server runs. */
  config: Config;
  /** The primary's own connection, for /cluster's shared counters and the banner. */
  redis: Redis | null;
  redisOrigin: RedisOrigin;
  /** The private redis-server, when the primary started one: its port and password file (for redis-cli). */
  privateRedis: Pick<PrivateRedis, 'port' | 'passwordFile' | 'pid'> | null;
  /** Redis as /cluster and the banner show it: the URL without its password, and whether it answers. */
  redisView(): RedisView;
  /**
   * Stop or start the private redis-server on purpose (the dashboard's buttons). Refused with
   * E_CONFLICT for a Redis the lab did not start (--redis-url) or when there is none.
   */
  controlRedis(action: 'stop' | 'start'): Promise<RedisView>;
  close(): Promise<void>;
}

const ensureDataDir = async (dir: string): Promise<void> => {
  const probe = join(dir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // Created for this user alone: a private Redis keeps its password and data in it.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('E_DATA_DIR', `Cannot write to the data dir ${dir} (${code}); pick another with --data-dir.`, {
      cause: error,
    });
  }
};

export const prepareResources = async (config: Config, log: Logger): Promise<PrimaryResources> => {
  await ensureDataDir(config.dataDir);

  let origin: RedisOrigin = 'none';
  let url = config.redisUrl;
  let privateRedis: PrivateRedis | null = null;
  if (url !== null) {
    origin = 'url';
  } else if ((await findRedisServer()) !== null) {
    privateRedis = await startPrivateRedis({ dataDir: config.dataDir, maxMemoryMb: config.redisMaxMemoryMb, log });
    url = privateRedis.url;
    origin = 'private';
    log.info(
      `started a private redis-server (pid ${privateRedis.pid()}) on ${redactRedisUrl(url)}, data in ${privateRedis.dir}, password in ${privateRedis.passwordFile}, at most ${config.redisMaxMemoryMb} MB`,
    );
  } else if (config.state === 'redis') {
    throw new AppError('E_CONFIG', `\`--state redis\` needs Redis. ${REDIS_DISABLED_HINT}`);
  } else {
    log.warn(`no Redis: the Redis routes answer 503. ${REDIS_DISABLED_HINT}`);
  }

  let redis: Redis | null = null;
  if (url !== null) {
    redis = createRedisClient(url, { name: 'cluster-state-lab:primary' });
    // Errors surface through commands and the status; without a listener ioredis would print each one.
    redis.on('error', () => {});
    if (!(await connectRedis(redis))) {
      redis.disconnect();
      await privateRedis?.stop();
      throw new AppError(
        'E_REDIS_DOWN',
        `Cannot reach Redis at ${redactRedisUrl(url)}; is it running? (see --redis-url)`,
      );
    }
  }

  if (redis !== null && origin === 'url') await warnAboutEviction(redis, url ?? '', log);
  const redactedUrl = url === null ? null : redactRedisUrl(url);
  const redisView = (): RedisView => ({
    url: redactedUrl,
    up: isRedisUp(redis),
    origin,
    pid: privateRedis?.pid() ?? null,
    stopped: privateRedis?.paused() ?? false,
  });

  return {
    config: { ...config, redisUrl: url },
    redis,
    redisOrigin: origin,
    privateRedis,
    redisView,
    async controlRedis(action) {
      if (privateRedis === null) {
        throw new AppError(
          'E_CONFLICT',
          origin === 'url'
            ? 'This Redis was given with --redis-url: the lab did not start it, so it does not stop or start it; do that where it runs.'
            : 'This cluster has no Redis to stop or start (no redis-server on PATH, and no --redis-url).',
        );
      }
      if (action === 'stop') {
        await privateRedis.pause();
        // The server has exited; answer once the primary's connection has seen it close too (on a
        // busy machine that event comes a little later), so the answer and the next /cluster say down.
        const deadline = performance.now() + RECONNECT_WAIT_MS;
        while (isRedisUp(redis) && performance.now() < deadline) await sleep(25);
      } else {
        await privateRedis.resume();
        // Answer once the primary's own connection is back (it retries every 500 ms at most), so
        // the answer and the next /cluster say `up`.
        const deadline = performance.now() + RECONNECT_WAIT_MS;
        while (!isRedisUp(redis) && performance.now() < deadline) await sleep(25);
      }
      return redisView();
    },
    async close() {
      redis?.disconnect();
      await privateRedis?.stop();
    },
  };
};

/**
 * A user's Redis is theirs to configure, but one that may evict any key when full can evict the
 * counters: say so once. (INFO may be refused by a managed Redis: then there is nothing to say.)
 */
const warnAboutEviction = async (redis: Redis, url: string, log: Logger): Promise<void> => {
  const info = await redis.info('memory').catch(() => '');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (policy?.startsWith('allkeys')) {
    log.warn(
      `Redis at ${redactRedisUrl(url)} evicts any key when it is full (maxmemory-policy ${policy}): it may evict the counters. volatile-lru evicts only keys with a TTL (the cache's).`,
    );
  }
};
