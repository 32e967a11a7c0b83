import { afterEach, describe, expect, it } from 'vitest';
import { REDIS_COMMAND_TIMEOUT_MS } from '../../src/redis/client.js';
import { type RedisServer, startRedisServer } from '../../src/redis/server.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import { getJson, makeTempDir, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

let server: RedisServer | undefined;
let stopped = false;
afterEach(async () => {
  // A stopped redis-server would not see the SIGTERM that stops it.
  if (server !== undefined && stopped) process.kill(server.pid, 'SIGCONT');
  stopped = false;
  await stopAllClusters();
  await server?.stop();
  server = undefined;
});

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe('a Redis that stops answering (SIGSTOP) under load', () => {
  it('answers 503 within the documented bound, and /healthz says down until it answers again', {
    timeout: 120_000,
  }, async () => {
    server = await startRedisServer({ dir: await makeTempDir(), appendOnly: false });
    const redisPid = server.pid;
    const cluster = await startCluster(['--workers', '2', '--redis-url', server.url]);
    expect((await getJson<{ redis: string }>(`${cluster.url}/healthz`)).body.redis).toBe('up');

    // 50 kept-alive clients: with auto-pipelining, commands queue behind the pipeline in flight.
    const failures: Sample[] = [];
    const enough = new AbortController();
    const load = runLoad({
      urls: [`${cluster.url}/counter/redis`],
      requests: 1_000_000,
      durationMs: 60_000,
      concurrency: 50,
      keepAlive: true,
      keepSamples: false,
      signal: enough.signal,
      onProgress: (done) => {
        if (done === 2000 && !stopped) {
          process.kill(redisPid, 'SIGSTOP');
          stopped = true;
        }
      },
      onSample: (sample) => {
        if (sample.status !== 200) failures.push(sample);
        if (failures.length >= 200) enough.abort();
      },
    });
    // Meanwhile /healthz, on fresh connections: a stopped Redis keeps its connections `ready`.
    await waitFor(
      async () =>
        stopped && (await getJson<{ redis: string }>(`${cluster.url}/healthz`)).body.redis === 'down'
          ? true
          : undefined,
      30_000,
      '/healthz to say redis: down',
    );
    await load;

    expect(failures.length).toBeGreaterThanOrEqual(200);
    expect(failures.every((sample) => sample.status === 503)).toBe(true);
    // The README promises 1 s per command. Before the bound counted from the call, a command queued
    // behind the stalled pipeline waited for its timeout and then its own: ~2 s for nearly all.
    expect(median(failures.map((sample) => sample.ms))).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS * 1.5);

    process.kill(redisPid, 'SIGCONT');
    stopped = false;
    await waitFor(
      async () => ((await getJson<{ redis: string }>(`${cluster.url}/healthz`)).body.redis === 'up' ? true : undefined),
      30_000,
      '/healthz to say redis: up again',
    );
    expect((await getJson(`${cluster.url}/counter/redis`)).status).toBe(200);
  });
});
