// Which Redis the bench runs against, for the machine table. The server itself is started with the
// lab's own startRedisServer (src/redis/server.ts), in the bench's process group.

import { execFile } from 'node:child_process';

const REDIS_SERVER = 'redis-server';

/** `redis-server --version` → "7.0.15", or null when there is no redis-server on PATH. */
export const redisVersion = (): Promise<string | null> =>
  new Promise((resolve) => {
    execFile(REDIS_SERVER, ['--version'], { timeout: 5000 }, (error, stdout) => {
      resolve(error ? null : (/v=([\w.]+)/.exec(stdout)?.[1] ?? stdout.trim()));
    });
  });
