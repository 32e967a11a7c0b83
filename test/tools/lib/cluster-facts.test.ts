import { describe, expect, it } from 'vitest';
import type { ClusterStats, Ghost, WorkerStats } from '../../../src/stats.js';
import { judgeRun, type Snapshot } from '../../../tools/lib/cluster-facts.js';

const worker = (instance: string, id: number, counters: Record<string, number>): WorkerStats =>
  ({
    instance,
    id,
    pid: 1000 * id + instance.length,
    counters,
    increments: {},
    max_answers: {},
  }) as unknown as WorkerStats;

const snapshot = (
  origin: string,
  instance: string,
  workers: WorkerStats[],
  shared: Record<string, number | null>,
  ghosts: Ghost[] = [],
  redisUrl = 'redis://:***@127.0.0.1:6379',
): Snapshot => ({
  origin,
  stats: {
    strategies: {
      local: { scope: 'worker' },
      ipc: { scope: 'host' },
      redis: { scope: 'fleet' },
    },
    workers,
    unresponsive: [],
    shared_counters: shared,
    ghosts,
    redis: { url: redisUrl },
    served_by: { instance, id: 1, pid: 1 },
  } as unknown as ClusterStats,
});

describe('a run judged from /cluster before and after', () => {
  it('takes each worker from what it held before, never from the lowest answer', () => {
    // The complaint: workers that stood at 100, 100, 105 and one born during the run.
    const before = [
      snapshot(
        'a',
        'h',
        [worker('h', 1, { local: 100 }), worker('h', 2, { local: 100 }), worker('h', 3, { local: 105 })],
        {},
      ),
    ];
    const after = [
      snapshot(
        'a',
        'h',
        [
          worker('h', 1, { local: 110 }),
          worker('h', 2, { local: 110 }),
          worker('h', 3, { local: 115 }),
          worker('h', 4, { local: 10 }),
        ],
        {},
      ),
    ];
    const largest = [1, 2, 3, 4].map((id) => ({
      instance: 'h',
      id,
      pid: 1000 * id + 1,
      max: id === 3 ? 115 : id === 4 ? 10 : 110,
    }));
    const { verdict, workers } = judgeRun({ strategy: 'local', expected: 40, largest }, before, after);
    expect(verdict).toMatchObject({ kind: 'split', expected: 40, true_total: 40, lost: 0, largest_seen: 10 });
    expect(workers.map((part) => [part.id, part.before, part.after])).toEqual([
      [1, 100, 110],
      [2, 100, 110],
      [3, 105, 115],
      [4, 0, 10],
    ]);
  });

  it('names a worker that died during the run with what its ghost held', () => {
    const ghost = { instance: 'h', id: 2, pid: 2001, held: { local: 30 } } as unknown as Ghost;
    const before = [snapshot('a', 'h', [worker('h', 1, { local: 0 }), worker('h', 2, { local: 0 })], {})];
    const after = [snapshot('a', 'h', [worker('h', 1, { local: 20 }), worker('h', 3, { local: 10 })], {}, [ghost])];
    const { verdict } = judgeRun({ strategy: 'local', expected: 60, largest: [] }, before, after);
    expect(verdict).toMatchObject({ kind: 'lost', true_total: 30, lost: 30, lost_to_deaths: 30 });
    expect(verdict.died).toEqual([{ instance: 'h', id: 2, pid: 2001, took: 30 }]);
  });

  it('sees two clusters with an exact ipc counter each as split, not lost', () => {
    const before = [snapshot('a', 'h1', [], { ipc: 0 }), snapshot('b', 'h2', [], { ipc: 0 })];
    const after = [snapshot('a', 'h1', [], { ipc: 158 }), snapshot('b', 'h2', [], { ipc: 142 })];
    const largest = [
      { instance: 'h1', id: 1, pid: 11, max: 158 },
      { instance: 'h2', id: 1, pid: 21, max: 142 },
    ];
    const { verdict } = judgeRun({ strategy: 'ipc', expected: 300, largest }, before, after);
    expect(verdict).toMatchObject({ kind: 'split', lost: 0, true_total: 300, largest_seen: 158 });
  });

  it('counts one Redis once, however many clusters share it', () => {
    const before = [snapshot('a', 'h1', [], { redis: 1000 }), snapshot('b', 'h2', [], { redis: 1000 })];
    const after = [snapshot('a', 'h1', [], { redis: 1300 }), snapshot('b', 'h2', [], { redis: 1300 })];
    const largest = [{ instance: 'h2', id: 1, pid: 21, max: 1300 }];
    const { verdict } = judgeRun({ strategy: 'redis', expected: 300, largest }, before, after);
    expect(verdict).toMatchObject({ kind: 'exact', true_total: 300, lost: 0, largest_seen: 300 });
  });
});
