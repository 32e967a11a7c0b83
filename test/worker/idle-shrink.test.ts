import { afterEach, describe, expect, it, vi } from 'vitest';
import { startIdleShrink } from '../../src/worker/idle-shrink.js';

const MB = 1024 * 1024;
const LAST_RESORT = { type: 'major', execution: 'sync', flavor: 'last-resort' };

afterEach(() => {
  vi.useRealTimers();
});

describe('startIdleShrink', () => {
  it('runs one minor and then one full collection once a worker that served requests has been idle long enough', () => {
    vi.useFakeTimers();
    let served = 0;
    const calls: unknown[] = [];
    // Stands in for V8's collector: only what it was asked to do matters here.
    const record = ((options?: unknown) => {
      calls.push(options);
    }) as NodeJS.GCFunction;
    const stop = startIdleShrink({
      served: () => served,
      gc: record,
      // Shrunk by the first scavenge.
      youngBytes: () => 2 * MB,
      afterMs: 3000,
    });
    // Idle from the start, nothing served: nothing to give back.
    vi.advanceTimersByTime(10_000);
    expect(calls).toEqual([]);
    // A load, then quiet: one collection after the quiet spell, not before, and only one.
    served = 500;
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(2000);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(2000);
    // A minor one for the young generation, then a full one that compacts, for what the load promoted.
    expect(calls).toEqual([{ type: 'minor' }, LAST_RESORT]);
    vi.advanceTimersByTime(20_000);
    expect(calls).toHaveLength(2);
    // The next load earns the next pair.
    served = 900;
    vi.advanceTimersByTime(6000);
    expect(calls).toHaveLength(4);
    stop();
    served = 1000;
    vi.advanceTimersByTime(20_000);
    expect(calls).toHaveLength(4);
  });

  it('tries again while V8 keeps the young generation large, a few times, then leaves it', () => {
    vi.useFakeTimers();
    let served = 0;
    let young = 1 * MB;
    const kinds: string[] = [];
    const gc = ((options?: { type?: string }) => {
      kinds.push(options?.type === 'major' ? 'full' : (options?.type ?? 'default'));
      // The third minor collection finds the rate low and shrinks.
      if (kinds.filter((kind) => kind === 'minor').length === 3) young = 1 * MB;
    }) as NodeJS.GCFunction;
    const stop = startIdleShrink({ served: () => served, gc, youngBytes: () => young, afterMs: 3000 });
    served = 100;
    young = 32 * MB;
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(3000);
    expect(kinds).toEqual(['minor']);
    vi.advanceTimersByTime(2000);
    expect(kinds).toEqual(['minor', 'minor']);
    vi.advanceTimersByTime(2000);
    // Shrunk at the third: the full collection follows at once, and nothing after it.
    expect(kinds).toEqual(['minor', 'minor', 'minor', 'full']);
    vi.advanceTimersByTime(30_000);
    expect(kinds).toHaveLength(4);
    // A young generation that will not shrink: four tries, the full collection, then quiet until
    // the next load.
    served = 200;
    young = 32 * MB;
    vi.advanceTimersByTime(60_000);
    expect(kinds.slice(4)).toEqual(['minor', 'minor', 'minor', 'minor', 'full']);
    stop();
  });

  it('counts a young generation of 16 MB (what V8 commits at start) as not shrunk', () => {
    vi.useFakeTimers();
    let served = 0;
    const kinds: string[] = [];
    const gc = ((options?: { type?: string }) => {
      kinds.push(options?.type ?? 'default');
    }) as NodeJS.GCFunction;
    const stop = startIdleShrink({ served: () => served, gc, youngBytes: () => 16 * MB, afterMs: 3000 });
    served = 10;
    vi.advanceTimersByTime(60_000);
    expect(kinds).toEqual(['minor', 'minor', 'minor', 'minor', 'major']);
    stop();
  });

  it('does nothing without a collector (a worker started without --expose-gc)', () => {
    expect(() => startIdleShrink({ served: () => 1, gc: undefined })()).not.toThrow();
  });
});
