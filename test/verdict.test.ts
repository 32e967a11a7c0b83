import { describe, expect, it } from 'vitest';
import { judgeCounterRun, type WorkerPart } from '../src/verdict.js';

const worker = (id: number, before: number, after: number | null, heldAtDeath?: number): WorkerPart => ({
  instance: 'host-1',
  id,
  pid: 100 + id,
  before,
  after,
  ...(heldAtDeath === undefined ? {} : { heldAtDeath }),
});

describe('judgeCounterRun', () => {
  it('calls four exact local counters split: nothing lost, nobody knows the total', () => {
    const verdict = judgeCounterRun({
      strategy: 'local',
      scope: 'worker',
      expected: 400,
      workers: [worker(1, 0, 96), worker(2, 0, 101), worker(3, 0, 101), worker(4, 0, 102)],
      largestSeen: 102,
    });
    expect(verdict).toMatchObject({ kind: 'split', expected: 400, true_total: 400, lost: 0, largest_seen: 102 });
    expect(verdict.sentences[0]).toContain('no worker knows the total');
  });

  it('takes baselines per worker, never from the lowest answer', () => {
    // Workers that had counted 100, 100 and 105 before the run, and one born during it.
    const verdict = judgeCounterRun({
      strategy: 'local',
      scope: 'worker',
      expected: 40,
      workers: [worker(1, 100, 110), worker(2, 100, 110), worker(3, 105, 115), worker(5, 0, 10)],
      largestSeen: 10,
    });
    expect(verdict).toMatchObject({ true_total: 40, lost: 0, kind: 'split' });
  });

  it('splits what a dead worker took from what races overwrote', () => {
    const verdict = judgeCounterRun({
      strategy: 'unsafe',
      scope: 'worker',
      expected: 400,
      workers: [worker(1, 0, 20), worker(2, 0, 25), worker(3, 0, null, 30), worker(4, 0, 15)],
      largestSeen: 31,
    });
    expect(verdict).toMatchObject({ kind: 'lost', true_total: 60, lost: 340, lost_to_deaths: 30, lost_to_races: 310 });
    expect(verdict.died).toEqual([{ instance: 'host-1', id: 3, pid: 103, took: 30 }]);
    expect(verdict.sentences.join(' ')).toContain('worker 3 (pid 103) took 30');
  });

  it('finds an exact shared counter exact, measured from its store before the run', () => {
    const verdict = judgeCounterRun({
      strategy: 'ipc',
      scope: 'host',
      expected: 300,
      stores: [{ instance: 'host-1', before: 142, after: 442 }],
      largestSeen: 300,
    });
    expect(verdict).toMatchObject({ kind: 'exact', true_total: 300, lost: 0 });
  });

  it('sees two exact host-scoped stores as split, not as lost', () => {
    // Two clusters, an exact ipc counter in each: the run is split between them, nothing is lost.
    const verdict = judgeCounterRun({
      strategy: 'ipc',
      scope: 'host',
      expected: 300,
      stores: [
        { instance: 'host-1', before: 0, after: 158 },
        { instance: 'host-2', before: 0, after: 142 },
      ],
      largestSeen: 158,
    });
    expect(verdict).toMatchObject({ kind: 'split', lost: 0, true_total: 300 });
    expect(verdict.shares).toEqual([
      { instance: 'host-1', count: 158 },
      { instance: 'host-2', count: 142 },
    ]);
  });

  it('counts a read-modify-write race on a shared store as lost', () => {
    const verdict = judgeCounterRun({
      strategy: 'redis-unsafe',
      scope: 'fleet',
      expected: 400,
      stores: [{ instance: 'redis', before: 10, after: 71 }],
      largestSeen: 61,
    });
    expect(verdict).toMatchObject({ kind: 'lost', true_total: 61, lost: 339, lost_to_races: 339, lost_to_deaths: 0 });
  });

  it('says so when a store cannot be read, and when more was counted than answered', () => {
    expect(
      judgeCounterRun({
        strategy: 'redis',
        scope: 'fleet',
        expected: 5,
        stores: [{ instance: 'redis', before: 0, after: null }],
        largestSeen: 5,
      }),
    ).toMatchObject({ kind: 'unreadable', true_total: null, lost: null });
    expect(
      judgeCounterRun({
        strategy: 'redis',
        scope: 'fleet',
        expected: 5,
        stores: [{ instance: 'redis', before: 0, after: 7 }],
        largestSeen: 7,
      }),
    ).toMatchObject({ kind: 'more', lost: -2 });
  });

  it('adds up long-dead workers into one part and names them as such', () => {
    const verdict = judgeCounterRun({
      strategy: 'local',
      scope: 'worker',
      expected: 130,
      workers: [
        { instance: 'host-1', id: 0, pid: 0, before: 0, after: null, heldAtDeath: 100, folded: 12 },
        worker(40, 0, 30),
      ],
      largestSeen: 30,
    });
    expect(verdict).toMatchObject({ kind: 'lost', lost: 100, lost_to_deaths: 100 });
    expect(verdict.died).toEqual([{ instance: 'host-1', id: 0, pid: 0, took: 100, folded: 12 }]);
    expect(verdict.sentences.join(' ')).toContain('12 earlier workers took 100');
  });

  it('names no dead worker when nothing was counted', () => {
    const verdict = judgeCounterRun({
      strategy: 'local',
      scope: 'worker',
      expected: 0,
      workers: [worker(1, 0, 0), worker(2, 0, null, 0)],
      largestSeen: null,
    });
    expect(verdict.kind).toBe('idle');
    expect(verdict.sentences).toEqual(['No increments yet.']);
  });
});
