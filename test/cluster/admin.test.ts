import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, runCli, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';
import { useFlushedRedis } from '../helpers/redis.js';

const TOKEN = 'admin-suite-token-abcdefghijklmnop';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

const redis = useFlushedRedis();
afterEach(stopAllClusters);

describe('admin routes', () => {
  it('answer 401 without the right token, and never show the token in the logs', async () => {
    const cluster = await startCluster(['--workers', '2', '--host', '0.0.0.0'], { env: { ADMIN_TOKEN: TOKEN } });
    expect(cluster.stdout()).toContain('Admin routes are on');
    for (const headers of [{}, auth('wrong-token-wrong-token'), { authorization: TOKEN }]) {
      const { status, body } = await getJson<{ error: string }>(`${cluster.url}/admin/reset`, {
        method: 'POST',
        headers,
      });
      expect(status).toBe(401);
      expect(body.error).toBe('E_UNAUTHORIZED');
    }
    expect((await getJson(`${cluster.url}/admin/reset`, { method: 'POST', headers: auth(TOKEN) })).status).toBe(200);
    expect(`${cluster.stdout()}${cluster.stderr()}`).not.toContain(TOKEN);
  });

  it('say in the banner that they are off on a non-loopback host without a token', async () => {
    const cluster = await startCluster(['--workers', '1', '--host', '0.0.0.0']);
    expect(cluster.stdout()).toContain('Admin routes are off (no --admin-token)');
  });

  it('crash: the serving worker answers, exits 1 and is replaced with its memory gone', async () => {
    const cluster = await startCluster(['--workers', '2', '--admin-token', TOKEN]);
    await runLoad({ urls: [`${cluster.url}/counter/local`], requests: 40, concurrency: 4 });
    const { status, body } = await getJson<{ worker: { id: number; pid: number } }>(`${cluster.url}/admin/crash`, {
      method: 'POST',
      headers: auth(TOKEN),
    });
    expect(status).toBe(200);
    await cluster.waitForLog(new RegExp(`worker ${body.worker.id} \\(pid ${body.worker.pid}\\) exited with code 1`));
    const after = await waitFor(
      async () => {
        const stats = (await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 })).body;
        return stats.workers.length === 2 && stats.restarts === 1 ? stats : undefined;
      },
      15_000,
      'the replacement',
    );
    const fresh = after.workers.find((worker) => !cluster.workerPids.includes(worker.pid));
    expect(fresh?.counters.local).toBe(0);
    expect(after.totals.counters.local).toBeLessThan(40);
  });

  it('reset: every worker and the IPC counter, and the shared ones only with ?shared=1', async () => {
    const cluster = await startCluster(['--workers', '2', '--admin-token', TOKEN]);
    for (const route of ['local', 'unsafe', 'ipc', 'file', 'redis']) {
      await runLoad({ urls: [`${cluster.url}/counter/${route}`], requests: 20, concurrency: 2 });
    }
    const local = await getJson<{ reset: { workers: number; shared: boolean } }>(`${cluster.url}/admin/reset`, {
      method: 'POST',
      headers: auth(TOKEN),
    });
    expect(local.body.reset).toMatchObject({ workers: 2, ipc: true, shared: false, errors: [] });
    let stats = (await getJson<ClusterStats>(`${cluster.url}/cluster`)).body;
    expect(stats.totals.counters).toEqual({ local: 0, unsafe: 0 });
    expect(stats.shared_counters).toMatchObject({ ipc: 0, file: 20, redis: 20 });

    await getJson(`${cluster.url}/admin/reset?shared=1`, { method: 'POST', headers: auth(TOKEN) });
    stats = (await getJson<ClusterStats>(`${cluster.url}/cluster`)).body;
    expect(stats.shared_counters).toMatchObject({ ipc: 0, file: 0, redis: 0 });
    expect((await getJson<{ current_count: number }>(`${cluster.url}/counter/file`)).body.current_count).toBe(1);
  });
});

describe('encryption of the Redis cache (--cache-key)', () => {
  it('stores no plaintext, and treats a tampered value as a logged miss', async () => {
    const key = randomBytes(32).toString('hex');
    const cluster = await startCluster(['--workers', '2', '--db-delay-ms', '0'], { env: { CACHE_KEY: key } });
    expect((await getJson<{ source: string }>(`${cluster.url}/user/redis/1`)).body.source).toBe('database');
    const stored = (await redis().get('user:1')) ?? '';
    expect(stored).not.toContain('User_1');
    expect(stored).toMatch(/^v1\./);
    expect((await getJson<{ source: string }>(`${cluster.url}/user/redis/1`)).body.source).toBe('redis_cache');

    const tampered = `${stored.slice(0, -3)}${stored.at(-3) === 'A' ? 'B' : 'A'}${stored.slice(-2)}`;
    await redis().set('user:1', tampered);
    const answer = await getJson<{ source: string; data: { name: string } }>(`${cluster.url}/user/redis/1`);
    expect(answer.body.source).toBe('database');
    expect(answer.body.data.name).toBe('User_1');
    await cluster.waitForLog(/the cached value at user:1 failed authentication; treated as a miss/);
    expect(cluster.stderr()).not.toContain(key);
  });

  it.each([
    ['too short', 'abcdef'],
    ['33 bytes', randomBytes(33).toString('hex')],
  ])('refuses a bad key (%s) at start-up with exit code 2', async (_what, key) => {
    const result = await runCli(['--cache-key', key]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe(
      'cluster-state-lab: Expected `--cache-key` to be 32 bytes as 64 hex digits or base64 (try: openssl rand -hex 32).',
    );
  });
});
