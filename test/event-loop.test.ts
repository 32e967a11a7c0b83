// The event-loop monitor measures a real block of this process's loop, and forgets it on reset.
import { describe, expect, it } from 'vitest';
import { createEventLoopMonitor } from '../src/event-loop.js';
import { waitFor } from './helpers/cluster.js';

const blockFor = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

describe('the event-loop monitor', () => {
  it('reports a 200 ms synchronous wait as a delay of about 200 ms, and starts over on reset', async () => {
    const monitor = createEventLoopMonitor();
    // It measures from one tick of its timer to the next: let it tick once (an idle loop is late by
    // a fraction of a millisecond), then block.
    await waitFor(() => (monitor.read().max_ms > 0 ? true : undefined), 5000, 'a first interval');
    blockFor(200);
    const delay = await waitFor(() => (monitor.read().max_ms >= 150 ? monitor.read() : undefined), 5000, 'the block');
    expect(delay.max_ms).toBeGreaterThanOrEqual(180);
    expect(delay.p50_ms).toBeLessThan(delay.max_ms);
    monitor.reset();
    expect(monitor.read()).toEqual({ p50_ms: 0, p99_ms: 0, max_ms: 0 });
  });
});
