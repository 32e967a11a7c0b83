import { describe, expect, it } from 'vitest';
import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import { createSinceReset, GHOSTS_KEPT } from '../../src/primary/since-reset.js';
import type { FeedEntry, WorkerStats } from '../../src/stats.js';

const stats = (id: number, seq: number, counts: Record<string, number>, increments = counts): WorkerStats => ({
  instance: 'host-1',
  id,
  pid: 100 + id,
  seq,
  uptime_s: 1,
  requests: Object.values(increments).reduce((sum, value) => sum + value, 0),
  state: 'memory',
  counters: { local: 0, unsafe: 0, ipc: null, file: null, redis: null, 'redis-unsafe': null, ...counts },
  increments,
  max_answers: Object.fromEntries(Object.entries(counts).filter(([, value]) => value > 0)),
  caches: {},
  db_calls: 0,
  redis: { url: null, status: 'not configured' },
  data_dir: '/tmp',
  strategy_stats: {},
  event_loop: { p50_ms: 0, p99_ms: 0, max_ms: 0 },
});

const STORES = { ipc: 0, file: 10, redis: null, 'redis-unsafe': null };

const make = (running: Set<number> = new Set([1, 2, 3])) =>
  createSinceReset({ instance: 'host-1', strategies: COUNTER_STRATEGIES, isRunning: (id) => running.has(id) });

describe('what the primary knows since the reset', () => {
  it('keeps a dead worker as a ghost with what it held, and judges its count lost with it', () => {
    const running = new Set([1, 2]);
    const since = make(running);
    since.restart([], [], STORES);
    since.report(stats(1, 1, { local: 60 }));
    since.report(stats(2, 1, { local: 40 }));
    running.delete(2);
    since.exited({ instance: 'host-1', id: 2, pid: 102 }, { code: null, signal: 'SIGKILL', reason: null });
    const view = since.view([stats(1, 2, { local: 60 })], STORES);

    expect(view.ghosts).toMatchObject([
      { id: 2, pid: 102, exit: 'killed by SIGKILL', reason: null, held: { local: 40 } },
    ]);
    expect(view.verdicts.local).toMatchObject({
      kind: 'lost',
      expected: 100,
      true_total: 60,
      lost: 40,
      lost_to_deaths: 40,
      died: [{ id: 2, pid: 102, took: 40 }],
    });
  });

  it('keeps the latest report of each worker, whatever order they arrive in', () => {
    const since = make();
    since.restart([], [], STORES);
    since.report(stats(1, 5, { local: 50 }));
    since.report(stats(1, 3, { local: 30 }));
    expect(since.latestOf(1)?.counters.local).toBe(50);
  });

  it('ignores a report from a worker that has exited', () => {
    const running = new Set([1]);
    const since = make(running);
    running.delete(1);
    since.report(stats(1, 1, { local: 5 }));
    expect(since.latestOf(1)).toBeUndefined();
  });

  it('counts shared stores from their value at the reset, and a silent worker from its last report', () => {
    const since = make();
    since.report(stats(3, 1, { unsafe: 7 }));
    // Worker 1 reset to 0; worker 3 did not answer the reset: its 7 stay, as its baseline.
    since.restart([stats(1, 2, {})], [stats(3, 1, { unsafe: 7 })], { ...STORES, file: 500 });
    const view = since.view(
      [stats(1, 3, { unsafe: 4, file: 0 }, { unsafe: 4, file: 12 }), stats(3, 2, { unsafe: 9 })],
      { ...STORES, file: 512 },
    );
    expect(view.baselines.file).toBe(500);
    expect(view.verdicts.file).toMatchObject({ kind: 'exact', expected: 12, true_total: 12 });
    expect(view.verdicts.unsafe).toMatchObject({ expected: 6, true_total: 6 });
  });

  it('measures a store that was down at the reset once it answers, if nothing was counted since', () => {
    const since = make();
    since.restart([], [], { ...STORES, redis: null });
    expect(since.view([], { ...STORES, redis: 42 }).baselines.redis).toBe(42);
    since.restart([], [], { ...STORES, redis: null });
    const counted = since.view([stats(1, 1, { redis: 0 }, { redis: 3 })], { ...STORES, redis: 45 });
    expect(counted.baselines.redis).toBeNull();
    expect(counted.verdicts.redis?.kind).toBe('unreadable');
  });

  it(`adds up ghosts beyond ${GHOSTS_KEPT} into one part, so nothing they took is forgotten`, () => {
    const ids = Array.from({ length: GHOSTS_KEPT + 3 }, (_, index) => index + 1);
    const running = new Set(ids);
    const since = make(running);
    since.restart([], [], STORES);
    for (const id of ids) {
      since.report(stats(id, 1, { local: 2 }));
      running.delete(id);
      since.exited({ instance: 'host-1', id, pid: 100 + id }, { code: 0, signal: null, reason: 'recycled' });
    }
    const view = since.view([], STORES);
    expect(view.ghosts).toHaveLength(GHOSTS_KEPT);
    expect(view.ghosts[0]).toMatchObject({ id: 4, reason: 'recycled', exit: 'exited with code 0' });
    expect(view.verdicts.local).toMatchObject({ expected: ids.length * 2, lost: ids.length * 2 });
    expect(view.verdicts.local?.died[0]).toMatchObject({ folded: 3, took: 6 });
    expect(view.verdicts.local?.sentences.join(' ')).toContain('3 earlier workers took 6');
  });

  it('forgets ghosts and the feed at a reset', () => {
    const running = new Set([1, 2]);
    const since = make(running);
    const entry: FeedEntry = {
      t: 2,
      worker: { instance: 'host-1', id: 1, pid: 101 },
      method: 'GET',
      path: '/counter/local',
      status: 200,
      remote: '127.0.0.1',
      port: 5000,
    };
    since.addFeed([{ ...entry, t: 3 }, entry]);
    running.delete(2);
    since.exited({ instance: 'host-1', id: 2, pid: 102 }, { code: 1, signal: null, reason: 'POST /admin/crash' });
    expect(since.view([], STORES).feed.map((e) => e.t)).toEqual([2, 3]);
    since.restart([], [], STORES);
    expect(since.view([], STORES)).toMatchObject({ ghosts: [], feed: [] });
  });
});
