import { describe, expect, it } from 'vitest';
import { createIpcCounter } from '../../src/counters/ipc.js';
import { createLocalCounter } from '../../src/counters/local.js';
import { createUnsafeCounter } from '../../src/counters/unsafe.js';

const CALLS = 50;
const concurrently = (increment: () => Promise<number>, calls = CALLS) =>
  Promise.all(Array.from({ length: calls }, () => increment()));

describe('unsafe counter', () => {
  it('loses increments without the lock when 50 calls overlap', async () => {
    const counter = createUnsafeCounter({ ioDelayMs: 2 });
    const values = await concurrently(() => counter.increment());
    expect(counter.peek()).toBeLessThan(CALLS);
    // Every overlapping call read the same stale value and wrote it back plus one.
    expect(new Set(values).size).toBeLessThan(CALLS);
  });

  it('is exact when the calls do not overlap', async () => {
    const counter = createUnsafeCounter({ ioDelayMs: 1 });
    for (let call = 0; call < 10; call += 1) await counter.increment();
    expect(counter.peek()).toBe(10);
  });
});

describe('local counter (async mutex)', () => {
  it('loses no increment under 50 overlapping calls', async () => {
    const counter = createLocalCounter();
    const values = await concurrently(() => counter.increment());
    expect(counter.peek()).toBe(CALLS);
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: CALLS }, (_, index) => index + 1));
  });

  it('stays exact with the same await between read and write that breaks the unsafe one', async () => {
    const counter = createLocalCounter({ ioDelayMs: 2 });
    const values = await concurrently(() => counter.increment());
    expect(counter.peek()).toBe(CALLS);
    expect(new Set(values).size).toBe(CALLS);
  });
});

describe('ipc counter (worker side)', () => {
  it('batches overlapping asks and still gives every caller its own value', async () => {
    let primaryValue = 0;
    const batches: number[] = [];
    const counter = createIpcCounter(async (by) => {
      batches.push(by);
      await new Promise((resolve) => setTimeout(resolve, 1));
      primaryValue += by;
      return primaryValue;
    });
    const values = await concurrently(() => counter.increment());
    expect(primaryValue).toBe(CALLS);
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: CALLS }, (_, index) => index + 1));
    expect(batches.length).toBeLessThan(CALLS);
    expect(counter.peek()).toBe(CALLS);
  });

  it('rejects every caller of a batch the primary did not answer', async () => {
    const counter = createIpcCounter(() => Promise.reject(new Error('primary gone')));
    const results = await Promise.allSettled([counter.increment(), counter.increment()]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
