import { afterEach, describe, expect, it, vi } from 'vitest';
import { startIdleShrink } from '../../src/worker/idle-shrink.js';

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
    // A minor one for the young generation, then a full one (no options) for what the load promoted.
    expect(calls).toEqual([{ type: 'minor' }, undefined]);
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
    let young = 1;
    const kinds: string[] = [];
    const gc = ((options?: { type?: string }) => {
      kinds.push(options?.type ?? 'full');
      // The third minor collection finds the rate low and shrinks.
      if (kinds.filter((kind) => kind === 'minor').length === 3) young = 1;
    }) as NodeJS.GCFunction;
    const stop = startIdleShrink({ served: () => served, gc, youngBytes: () => young, afterMs: 3000 });
    served = 100;
    young = 32;
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
    young = 32;
    vi.advanceTimersByTime(60_000);
    expect(kinds.slice(4)).toEqual(['minor', 'minor', 'minor', 'minor', 'full']);
    stop();
  });

  it('does nothing without a collector (a worker started without --expose-gc)', () => {
    expect(() => startIdleShrink({ served: () => 1, gc: undefined })()).not.toThrow();
  });
});
