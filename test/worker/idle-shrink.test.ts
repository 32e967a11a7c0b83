import { afterEach, describe, expect, it, vi } from 'vitest';
import { startIdleShrink } from '../../src/worker/idle-shrink.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('startIdleShrink', () => {
  it('runs one minor collection once a worker that served requests has been idle long enough', () => {
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
    expect(calls).toEqual([{ type: 'minor' }]);
    vi.advanceTimersByTime(20_000);
    expect(calls).toHaveLength(1);
    // The next load earns the next one.
    served = 900;
    vi.advanceTimersByTime(6000);
    expect(calls).toHaveLength(2);
    stop();
    served = 1000;
    vi.advanceTimersByTime(20_000);
    expect(calls).toHaveLength(2);
  });

  it('does nothing without a collector (a worker started without --expose-gc)', () => {
    expect(() => startIdleShrink({ served: () => 1, gc: undefined })()).not.toThrow();
  });
});
