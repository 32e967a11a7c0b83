// The worker's half of --max-requests, on a fake clock: the limit with its jitter, and when it tells
// the primary — its replacement asked for one boot time ahead (at its measured rate), never before
// half the limit, and `due` at the limit exactly.
import { describe, expect, it } from 'vitest';
import { createRecycleTrigger, drawRequestLimit, type RecycleStage } from '../../src/worker/recycle.js';

const run = ({
  limit,
  bootMs,
  everyMs,
  requests,
}: {
  limit: number;
  bootMs: number;
  everyMs: number;
  requests: number;
}) => {
  let clock = 0;
  const told: { stage: RecycleStage; served: number }[] = [];
  const trigger = createRecycleTrigger({
    limit,
    bootMs: () => bootMs,
    notify: ({ stage, served }) => told.push({ stage, served }),
    now: () => clock,
  });
  for (let served = 1; served <= requests; served += 1) {
    clock += everyMs;
    trigger(served);
  }
  return told;
};

describe('the recycle trigger', () => {
  it('asks for the replacement as many requests ahead as it serves in 1.5 boot times', () => {
    // 100 requests a second, a 300 ms boot: 30 requests × 1.5 = 45 ahead of 1000.
    expect(run({ limit: 1000, bootMs: 300, everyMs: 10, requests: 1200 })).toEqual([
      { stage: 'soon', served: 955 },
      { stage: 'due', served: 1000 },
    ]);
  });

  it('never asks before half the limit, however fast it serves', () => {
    expect(run({ limit: 50, bootMs: 1500, everyMs: 1, requests: 60 })).toEqual([
      { stage: 'soon', served: 25 },
      { stage: 'due', served: 50 },
    ]);
  });

  it('says due at the limit even when the rate is unknown', () => {
    expect(run({ limit: 1, bootMs: 500, everyMs: 5, requests: 3 })).toEqual([{ stage: 'due', served: 1 }]);
  });

  it('draws a limit from N to N + jitter, both ends included', () => {
    expect(drawRequestLimit(50, 0, () => 0.99)).toBe(50);
    expect(drawRequestLimit(50, 10, () => 0)).toBe(50);
    expect(drawRequestLimit(50, 10, () => 0.999)).toBe(60);
    const drawn = new Set(Array.from({ length: 2000 }, () => drawRequestLimit(50, 3)));
    expect([...drawn].sort()).toEqual([50, 51, 52, 53]);
  });
});
