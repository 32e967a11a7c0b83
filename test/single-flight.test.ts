import { describe, expect, it, vi } from 'vitest';
import { singleFlight } from '../src/single-flight.js';

/** A run the test finishes by hand, so that "while a run is in flight" is a state, not a moment. */
const controlledRuns = () => {
  const runs: { startedAt: number; finish: (value: number) => void; fail: (error: Error) => void }[] = [];
  const run = () =>
    new Promise<number>((resolve, reject) => {
      runs.push({ startedAt: performance.now(), finish: resolve, fail: reject });
    });
  return { runs, run };
};

/** Let queued promise callbacks (and zero-delay timers) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('singleFlight', () => {
  it('gives callers that ask together one shared run', async () => {
    const { runs, run } = controlledRuns();
    const ask = singleFlight(run, { minGapMs: 0 });
    const answers = Promise.all(Array.from({ length: 50 }, () => ask()));
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]?.finish(7);
    expect(await answers).toEqual(Array(50).fill(7));
  });

  it('never hands a caller a run that started before it asked: it shares the next one', async () => {
    const { runs, run } = controlledRuns();
    const ask = singleFlight(run, { minGapMs: 0 });
    const early = ask();
    await settle();
    expect(runs).toHaveLength(1);
    // Asked while the first run is in flight: not allowed to have its (older) answer.
    const late = [ask(), ask(), ask()];
    await settle();
    expect(runs).toHaveLength(1);
    runs[0]?.finish(1);
    expect(await early).toBe(1);
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]?.finish(2);
    expect(await Promise.all(late)).toEqual([2, 2, 2]);
  });

  it('starts a run no sooner than the gap after the previous one started', async () => {
    const { runs, run } = controlledRuns();
    const ask = singleFlight(run, { minGapMs: 120 });
    const first = ask();
    await settle();
    runs[0]?.finish(1);
    await first;
    const second = ask();
    await vi.waitFor(() => expect(runs).toHaveLength(2), { timeout: 10_000 });
    runs[1]?.finish(2);
    expect(await second).toBe(2);
    expect(runs).toHaveLength(2);
    expect((runs[1]?.startedAt ?? 0) - (runs[0]?.startedAt ?? 0)).toBeGreaterThanOrEqual(119);
  });

  it('hands a failed run to its callers only; the next caller gets a new run', async () => {
    const { runs, run } = controlledRuns();
    const ask = singleFlight(run, { minGapMs: 0 });
    const failing = [ask(), ask()];
    await settle();
    runs[0]?.fail(new Error('worker gone'));
    for (const answer of failing) await expect(answer).rejects.toThrow('worker gone');
    const next = ask();
    await settle();
    runs[1]?.finish(3);
    expect(await next).toBe(3);
  });
});
