import { describe, expect, it } from 'vitest';
import type { ClusterStats, WorkerStats } from '../../../src/stats.js';
import { judgeCounterRun } from '../../../src/verdict.js';
import { fleetCounterRun, type HostSnapshot, largestOverBaseline } from '../../../tools/fleet/verdicts.js';

const worker = (instance: string, pid: number, local: number, increments = local): WorkerStats =>
  ({ instance, id: pid % 10, pid, counters: { local }, increments: { local: increments } }) as unknown as WorkerStats;

const host = (instance: string, shared: Record<string, number | null>, workers: WorkerStats[] = []): HostSnapshot => ({
  instance,
  cluster: { shared_counters: shared, workers, unresponsive: [] } as unknown as ClusterStats,
});

describe('fleet verdicts', () => {
  it('keeps one store per host for a host-scoped strategy: exact per host, split across hosts', () => {
    const before = [host('host-1', { file: 10 }), host('host-2', { file: 0 })];
    const after = [host('host-1', { file: 210 }), host('host-2', { file: 200 })];
    const run = fleetCounterRun({ strategy: 'file', scope: 'host', before, after, expected: 400, largestSeen: 200 });
    expect(run.stores).toEqual([
      { instance: 'host-1', before: 10, after: 210 },
      { instance: 'host-2', before: 0, after: 200 },
    ]);
    expect(judgeCounterRun(run)).toMatchObject({ kind: 'split', true_total: 400, lost: 0 });
  });

  it('reads a fleet-scoped strategy once, from whichever host answers', () => {
    const before = [host('host-1', { redis: null }), host('host-2', { redis: 5 })];
    const after = [host('host-1', { redis: 405 }), host('host-2', { redis: 405 })];
    const run = fleetCounterRun({ strategy: 'redis', scope: 'fleet', before, after, expected: 400, largestSeen: 400 });
    expect(run.stores).toEqual([{ instance: 'fleet', before: 5, after: 405 }]);
    expect(judgeCounterRun(run).kind).toBe('exact');
  });

  it('counts a worker that died with what it last held, and the answers from the workers when not watched', () => {
    const before = [host('host-1', {}, [worker('host-1', 11, 0), worker('host-1', 12, 0)])];
    const after = [host('host-1', {}, [worker('host-1', 11, 100)])];
    const lastSeen = new Map([['host-1/12', worker('host-1', 12, 80)]]);
    const run = fleetCounterRun({ strategy: 'local', scope: 'worker', before, after, lastSeen });
    expect(run.expected).toBe(180);
    expect(run.largestSeen).toBe(100);
    const verdict = judgeCounterRun(run);
    expect(verdict).toMatchObject({ kind: 'lost', lost: 80, lost_to_deaths: 80 });
    expect(verdict.died).toEqual([{ instance: 'host-1', id: 2, pid: 12, took: 80 }]);
  });

  it('measures the largest answer over the baseline of the host that gave it', () => {
    const before = [host('host-1', { ipc: 100 }), host('host-2', { ipc: 0 })];
    const answers = [
      { instance: 'host-1', pid: 1, count: 150 },
      { instance: 'host-2', pid: 2, count: 70 },
    ];
    expect(largestOverBaseline({ strategy: 'ipc', scope: 'host', before }, answers)).toBe(70);
    expect(largestOverBaseline({ strategy: 'ipc', scope: 'host', before }, [])).toBeNull();
  });
});
