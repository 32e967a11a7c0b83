import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/redis/server.js';
import { getJson, isAlive, makeTempDir, removeTempDirs, waitFor } from '../helpers/cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FOREMAN = fileURLToPath(new URL('../../node_modules/foreman/nf.js', import.meta.url));

afterEach(removeTempDirs);

describe('the Procfile', () => {
  it('starts redis and web as they are, and /counter/redis counts on that Redis', async () => {
    const [basePort, redisPort] = [await findFreePort(), await findFreePort()];
    const child = execa('node', [FOREMAN, 'start', '-j', 'Procfile', '-p', String(basePort)], {
      cwd: ROOT,
      env: { DATA_DIR: await makeTempDir(), REDIS_PORT: String(redisPort), WEB_CONCURRENCY: '2', REDIS_URL: '' },
      reject: false,
      buffer: false,
    });
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
    });
    const pids = () =>
      new Set([
        ...[...output.matchAll(/pid[= ](\d+)/g)].map((match) => Number(match[1])),
        ...(child.pid === undefined ? [] : [child.pid]),
      ]);
    try {
      // foreman gives each process type its own PORT: base, base + 100, … in Procfile order.
      const url = await waitFor(
        () => /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(output)?.[1],
        20_000,
        'the web process banner',
      ).then((port) => `http://127.0.0.1:${port}`);
      // foreman passes the banner on in chunks: wait for its Redis line rather than assume it came.
      await waitFor(
        () => (output.includes(`redis://127.0.0.1:${redisPort} (from --redis-url/REDIS_URL), up`) ? true : undefined),
        20_000,
        "the banner's Redis line",
      );
      const first = await getJson<{ current_count: number; strategy: string }>(`${url}/counter/redis`);
      const second = await getJson<{ current_count: number }>(`${url}/counter/redis`);
      expect(first.body).toMatchObject({ current_count: 1, strategy: 'redis' });
      expect(second.body.current_count).toBe(2);
    } finally {
      const seen = pids();
      // Ctrl-C, as a person stops it: node-foreman forwards SIGINT to every process (not SIGTERM).
      child.kill('SIGINT');
      await child;
      await waitFor(() => ([...seen].some(isAlive) ? undefined : true), 10_000, 'every Procfile process to exit').catch(
        (error: unknown) => {
          for (const pid of seen) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
          throw error;
        },
      );
    }
  });
});
