// One Redis for every host: the user's (--redis-url, checked once), or a private redis-server the fleet
// starts exactly as a lab primary starts its own (a random password handed over on stdin, a 0700
// directory, one owner, restarted when it dies), or none when there is no redis-server on PATH.

import { AppError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { type PrivateRedis, startPrivateRedis } from '../../src/primary/private-redis.js';
import { connectRedis, createRedisClient, redactRedisUrl } from '../../src/redis/client.js';
import { findRedisServer } from '../../src/redis/server.js';
import type { ProcessGroup } from '../lib/processes.js';

export interface FleetRedis {
  origin: 'url' | 'private' | 'none';
  /** With its password, for the hosts' environment only; null without Redis. */
  url: string | null;
  /** Password shown as ***: for people and for the ready event. */
  shownUrl: string | null;
  /** The private redis-server's pid now (it may have been restarted); null otherwise. */
  pid(): number | null;
  /** Where the private one keeps its password (0600), for redis-cli. */
  passwordFile: string | null;
  stop(): Promise<void>;
}

/** The user's Redis must answer before any host starts: each would refuse to start without it. */
const checkReachable = async (url: string): Promise<void> => {
  const client = createRedisClient(url, { name: 'cluster-state-lab:fleet' });
  client.on('error', () => {});
  try {
    if (!(await connectRedis(client))) {
      throw new AppError(
        'E_REDIS_DOWN',
        `Redis at ${redactRedisUrl(url)} does not answer; start it or fix --redis-url.`,
      );
    }
  } finally {
    client.disconnect();
  }
};

export const openFleetRedis = async ({
  redisUrl,
  dataDir,
  log,
  group,
}: {
  redisUrl: string | null;
  dataDir: string;
  log: Logger;
  /** Starts the private redis-server in a process group of its own: a Ctrl-C in the terminal is the fleet's to handle. */
  group: ProcessGroup;
}): Promise<FleetRedis> => {
  if (redisUrl !== null) {
    await checkReachable(redisUrl);
    return {
      origin: 'url',
      url: redisUrl,
      shownUrl: redactRedisUrl(redisUrl),
      pid: () => null,
      passwordFile: null,
      stop: async () => {},
    };
  }
  if ((await findRedisServer()) === null) {
    log.warn(
      'No Redis: no --redis-url and no redis-server on PATH (apt-get install -y redis-server). The Redis routes answer 503 on every host.',
    );
    return { origin: 'none', url: null, shownUrl: null, pid: () => null, passwordFile: null, stop: async () => {} };
  }
  const server: PrivateRedis = await startPrivateRedis({
    dataDir,
    maxMemoryMb: 64,
    log,
    spawnProcess: (command, args, options) => group.spawn(command, args, options),
  });
  return {
    origin: 'private',
    url: server.url,
    shownUrl: redactRedisUrl(server.url),
    pid: () => server.pid(),
    passwordFile: server.passwordFile,
    stop: () => server.stop(),
  };
};
