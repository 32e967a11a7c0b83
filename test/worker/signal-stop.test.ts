import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSignalStop } from '../../src/worker/signal-stop.js';

afterEach(() => {
  vi.useRealTimers();
});

const stopWith = (delayMs: number) => {
  const drains: string[] = [];
  const stop = createSignalStop({ delayMs, drain: (reason) => drains.push(reason) });
  return { stop, drains };
};

describe("a worker's stop on a signal", () => {
  it('drains at once without a delay', () => {
    const { stop, drains } = stopWith(0);
    expect(stop.draining).toBe(false);
    stop.signal('SIGTERM', 1);
    expect(stop.draining).toBe(true);
    expect(drains).toEqual(['SIGTERM']);
  });

  it('fails its health for the delay, then drains once', () => {
    vi.useFakeTimers();
    const { stop, drains } = stopWith(1500);
    stop.signal('SIGTERM', 1);
    expect(stop.draining).toBe(true);
    vi.advanceTimersByTime(1499);
    expect(drains).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(drains).toEqual(['SIGTERM, after 1500 ms of /healthz 503']);
    stop.signal('SIGTERM', 2);
    expect(drains).toHaveLength(1);
  });

  it('takes the same signal from both sides as one (Ctrl-C to the process group), and a second as "now"', () => {
    vi.useFakeTimers();
    const { stop, drains } = stopWith(60_000);
    stop.signal('SIGINT', 1);
    stop.signal('SIGINT, by the primary', 1);
    vi.advanceTimersByTime(10_000);
    expect(drains).toEqual([]);
    stop.signal('SIGINT, by the primary', 2);
    expect(drains).toEqual(['SIGINT, by the primary: a second signal, the rest of the 60000 ms wait skipped']);
    stop.signal('SIGINT', 2);
    vi.advanceTimersByTime(60_000);
    expect(drains).toHaveLength(1);
  });
});
