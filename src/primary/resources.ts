// What the primary sets up before it forks and tears down after the last worker exits: the data
// dir, and Redis — the user's (--redis-url), a private redis-server it starts, or none at all.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import lockfile from 'proper-lockfile';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { connectRedis, createRedisClient, isRedisUp, REDIS_DISABLED_HINT, redactRedisUrl } from '../redis/client.js';
import { findRedisServer, type RedisServer, startRedisServer } from '../redis/server.js';
import { sleep } from '../sleep.js';

export type RedisOrigin = 'url' | 'private' | 'none';

export interface PrimaryResources {
  /** The config the workers get: `redisUrl` filled in when a private redis-server runs. */
  config: Config;
  /** The primary's own connection, for /cluster's shared counters and the banner. */
  redis: Redis | null;
  redisOrigin: RedisOrigin;
  /** Redis as /cluster and the banner show it: the URL without its password, and whether it answers. */
  redisView(): { url: string | null; up: boolean };
  close(): Promise<void>;
}

const ensureDataDir = async (dir: string): Promise<void> => {
  const probe = join(dir, `.write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, 'ok');
    await rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('E_DATA_DIR', `Cannot write to the data dir ${dir} (${code}); pick another with --data-dir.`, {
      cause: error,
    });
  }
};

/** A private redis-server left behind by a primary that was SIGKILLed: we hold the dir's lock now, so it is an orphan. */
const stopOrphan = async (pidFile: string, log: Logger): Promise<void> => {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('redis-server')) return;
  log.warn(`stopping redis-server pid ${pid} left behind by an earlier cluster`);
  process.kill(pid, 'SIGTERM');
  for (let wait = 0; wait < 100 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) !== ''; wait += 1) {
    await sleep(50);
  }
};

const startPrivateRedis = async (config: Config, log: Logger) => {
  const dir = join(config.dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  let releaseDir: () => Promise<void>;
  try {
    releaseDir = await lockfile.lock(dir, { stale: 10_000, realpath: false, onCompromised: () => {} });
  } catch (error) {
    throw new AppError(
      'E_DATA_DIR',
      `Another cluster runs its private redis-server in ${dir}; share it with --redis-url, or use another --data-dir.`,
      { cause: error },
    );
  }
  const pidFile = join(dir, 'server.pid');
  try {
    await stopOrphan(pidFile, log);
    const server = await startRedisServer({ dir });
    await writeFile(pidFile, `${server.pid}\n`);
    return {
      server,
      release: async () => {
        await server.stop();
        await rm(pidFile, { force: true });
        await releaseDir().catch(() => {});
      },
    };
  } catch (error) {
    await releaseDir().catch(() => {});
    throw error;
  }
};

export const prepareResources = async (config: Config, log: Logger): Promise<PrimaryResources> => {
  await ensureDataDir(config.dataDir);

  let origin: RedisOrigin = 'none';
  let url = config.redisUrl;
  let privateRedis: { server: RedisServer; release: () => Promise<void> } | null = null;
  if (url !== null) {
    origin = 'url';
  } else if ((await findRedisServer()) !== null) {
    privateRedis = await startPrivateRedis(config, log);
    url = privateRedis.server.url;
    origin = 'private';
    log.info(
      `started a private redis-server (pid ${privateRedis.server.pid}) on ${url}, data in ${config.dataDir}/redis`,
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
      await privateRedis?.release();
      throw new AppError(
        'E_REDIS_DOWN',
        `Cannot reach Redis at ${redactRedisUrl(url)}; is it running? (see --redis-url)`,
      );
    }
  }

  const redactedUrl = url === null ? null : redactRedisUrl(url);

  return {
    config: { ...config, redisUrl: url },
    redis,
    redisOrigin: origin,
    redisView: () => ({ url: redactedUrl, up: isRedisUp(redis) }),
    async close() {
      redis?.disconnect();
      if (privateRedis !== null) {
        await privateRedis.release();
        log.info(`stopped the private redis-server (pid ${privateRedis.server.pid})`);
      }
    },
  };
};
