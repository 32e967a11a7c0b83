import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import { createHub, type HubWorker } from '../../src/primary/hub.js';
import { createSharedCounters } from '../../src/primary/shared-state.js';
import type { WorkerStats } from '../../src/stats.js';
import { linkedChannels } from '../helpers/channels.js';

const statsOf = (id: number, local: number): WorkerStats => ({
  instance: 'test',
  id,
  pid: 1000 + id,
  seq: 1,
  uptime_s: 1,
  requests: local,
  state: 'memory',
  counters: { local, unsafe: 0, ipc: null, file: null, redis: null, 'redis-unsafe': null },
  increments: { local },
  max_answers: local > 0 ? { local } : {},
  caches: {},
  db_calls: 0,
  redis: { url: null, status: 'not configured' },
  data_dir: '/tmp',
  strategy_stats: {},
  event_loop: { p50_ms: 0, p99_ms: 0, max_ms: 0 },
});

/** A hub over fake workers: each answers `stats` from a plain object, one may stay silent. */
const makeHub = (locals: number[], { silent = -1 } = {}) => {
  const workers: HubWorker[] = [];
  const resets: number[] = [];
  const workerChannels = locals.map((local, index) => {
    const { worker, primary } = linkedChannels();
    const id = index + 1;
    const stats = statsOf(id, local);
    if (index !== silent) {
      worker.handle('stats', () => {
        stats.seq += 1;
        return { ...stats };
      });
      worker.handle('reset-local', () => {
        stats.counters.local = 0;
        stats.increments = { local: 0 };
        stats.max_answers = {};
        stats.seq += 1;
        resets.push(id);
        return { ...stats };
      });
    }
    workers.push({ identity: { instance: 'test', id, pid: stats.pid }, channel: primary });
    return worker;
  });
  const config = { ...defaultConfig(), dataDir: '/nonexistent-dir-for-the-hub-test' };
  const hub = createHub({
    instance: 'test',
    liveWorkers: () => workers,
    strategies: COUNTER_STRATEGIES,
    restarts: () => 2,
    redis: () => ({ url: null, up: false, origin: 'none', pid: null, stopped: false }),
    dataDir: config.dataDir,
    reload: () => ({ started: true, workers: workers.length }),
    primaryRegistry: new Registry(),
  });
  hub.useSharedCounters(
    createSharedCounters({ strategies: COUNTER_STRATEGIES, config, redis: null, handle: hub.handle }),
  );
  for (const { channel } of workers) hub.attach(channel);
  return { hub, workerChannels, resets };
};

describe('the hub (fake workers)', () => {
  it('gathers every worker, sums only worker-scoped counters, and shows each scope', async () => {
    const { hub } = makeHub([3, 5, 2]);
    const cluster = await hub.gather();
    expect(cluster.workers.map((worker) => worker.id)).toEqual([1, 2, 3]);
    expect(cluster.totals.counters).toEqual({ local: 10, unsafe: 0 });
    expect(cluster.strategies.local).toMatchObject({ scope: 'worker', value: 10 });
    expect(cluster.strategies.ipc).toMatchObject({ scope: 'host', value: 0 });
    // The fake hub's data dir does not exist: the file counter is unreadable (null), not 0.
    expect(cluster.strategies.file).toMatchObject({ scope: 'host', value: null });
    expect(cluster.strategies.redis).toMatchObject({ scope: 'fleet', value: null });
    expect(cluster.restarts).toBe(2);
  });

  it('lists a worker that does not answer instead of waiting for it', async () => {
    const { hub } = makeHub([1, 1], { silent: 1 });
    const cluster = await hub.gather();
    expect(cluster.workers.map((worker) => worker.id)).toEqual([1]);
    expect(cluster.unresponsive).toEqual([{ instance: 'test', id: 2, pid: 1002 }]);
  });

  it("counts the ipc strategy's increments from every worker in one place", async () => {
    const { workerChannels, hub } = makeHub([0, 0]);
    const [a, b] = workerChannels;
    const values = await Promise.all([
      a?.request('ipc-increment', { by: 2 }, { timeoutMs: 1000 }),
      b?.request('ipc-increment', { by: 3 }, { timeoutMs: 1000 }),
    ]);
    expect([...values].sort()).toEqual(expect.arrayContaining([5]));
    expect((await hub.gather()).strategies.ipc?.value).toBe(5);
  });

  it('answers a reset asked by a worker: every worker zeroes its memory, and the ipc count goes too', async () => {
    const { workerChannels, hub, resets } = makeHub([4, 6]);
    await workerChannels[0]?.request('ipc-increment', { by: 7 }, { timeoutMs: 1000 });
    const result = await workerChannels[1]?.request('reset', { shared: false }, { timeoutMs: 1000 });
    expect(result).toMatchObject({ workers: 2, ipc: true, shared: false, errors: [], redis_cache_keys: 0 });
    expect(resets.sort()).toEqual([1, 2]);
    const cluster = await hub.gather();
    expect(cluster.totals.counters.local).toBe(0);
    expect(cluster.strategies.ipc?.value).toBe(0);
  });
});
