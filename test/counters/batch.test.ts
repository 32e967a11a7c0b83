import { describe, expect, it } from 'vitest';
import { batchIncrements } from '../../src/counters/batch.js';

describe('group commit (batchIncrements)', () => {
  it('commits the calls of one turn together and gives each its own consecutive value', async () => {
    let stored = 10;
    const commits: number[] = [];
    const increment = batchIncrements(async (take) => {
      const by = take();
      commits.push(by);
      stored += by;
      return stored;
    });
    const values = await Promise.all([increment(), increment(), increment()]);
    expect(commits).toEqual([3]);
    expect(values).toEqual([11, 12, 13]);
  });

  it('keeps one commit in flight; calls that arrive meanwhile go in the next one', async () => {
    let stored = 0;
    const commits: number[] = [];
    let release: (() => void) | undefined;
    const increment = batchIncrements(async (take) => {
      const by = take();
      commits.push(by);
      if (commits.length === 1) await new Promise<void>((resolve) => (release = resolve));
      stored += by;
      return stored;
    });
    const first = increment();
    await new Promise((resolve) => setImmediate(resolve));
    const later = [increment(), increment()];
    release?.();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(commits).toEqual([1, 2]);
  });

  it('rejects every call of a failed commit, and the next batch still runs', async () => {
    let fail = true;
    const increment = batchIncrements(async (take) => {
      if (fail) throw new Error('disk full');
      return take();
    });
    const failed = await Promise.allSettled([increment(), increment()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(increment()).resolves.toBe(1);
  });

  it('takes the batch when the commit says: calls that came while it waited for its turn go in it', async () => {
    let stored = 0;
    const commits: number[] = [];
    let turn: (() => void) | undefined;
    const increment = batchIncrements(async (take) => {
      // Waiting for a lock, as the file counter does, before it takes what is waiting.
      if (commits.length === 0) await new Promise<void>((resolve) => (turn = resolve));
      const by = take();
      commits.push(by);
      stored += by;
      return stored;
    });
    const first = increment();
    await new Promise((resolve) => setImmediate(resolve));
    const during = [increment(), increment()];
    turn?.();
    expect(await Promise.all([first, ...during])).toEqual([1, 2, 3]);
    expect(commits).toEqual([3]);
  });

  it('fails the calls of a commit that gave up before taking them (a lock timeout), and goes on', async () => {
    let fail = true;
    const increment = batchIncrements(async (take) => {
      if (fail) throw new Error('lock timeout');
      return take();
    });
    const failed = await Promise.allSettled([increment(), increment(), increment()]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    fail = false;
    await expect(Promise.all([increment(), increment()])).resolves.toEqual([1, 2]);
  });
});
