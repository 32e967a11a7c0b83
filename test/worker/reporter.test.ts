import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReporter } from '../../src/worker/reporter.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('the stats reporter of a worker', () => {
  it('reports a burst of changes once per interval, and nothing while idle', () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const reporter = createReporter(() => sent.push(Date.now()), 100);
    reporter.changed();
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(1);
    for (let step = 0; step < 50; step += 1) {
      reporter.changed();
      vi.advanceTimersByTime(10);
    }
    // 500 ms of changes: at most one report per 100 ms.
    expect(sent.length).toBeGreaterThanOrEqual(5);
    expect(sent.length).toBeLessThanOrEqual(7);
    const settled = sent.length;
    reporter.changed();
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBe(settled + 1);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBe(settled + 1);
  });

  it('reports at once on flush (a planned exit), with nothing left pending', () => {
    vi.useFakeTimers();
    let sent = 0;
    const reporter = createReporter(() => {
      sent += 1;
    }, 100);
    reporter.changed();
    reporter.flush();
    expect(sent).toBe(1);
    vi.advanceTimersByTime(500);
    expect(sent).toBe(1);
  });
});
