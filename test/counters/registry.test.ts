// Adding a strategy is one file plus one registry line: here the "file" is this test's fake strategy
// and the "line" is the array that appends it. Routes, /stats, /cluster and the metrics follow.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import type { CounterStrategy } from '../../src/counters/strategy.js';
import { createLab } from '../../src/lab.js';
import { createWorkerMetrics } from '../../src/metrics.js';
import { perWorkerNames, summarize, viewStrategies } from '../../src/stats.js';
import { linkedChannels } from '../helpers/channels.js';

/** A made-up host-scoped strategy that counts by tens. */
const tens: CounterStrategy = {
  name: 'tens',
  scope: 'host',
  exact: true,
  survives: { crash: true, restart: false },
  summary: 'counts by tens, for this test',
  createCounter: () => {
    let value = 0;
    return {
      name: 'tens',
      increment: async () => (value += 10),
      peek: () => value,
      reset: () => {
        value = 0;
      },
    };
  },
  createStorage: () => ({ read: async () => 70, reset: async () => {} }),
};

const strategies = [...COUNTER_STRATEGIES, tens];

describe('the strategy registry', () => {
  it('serves a new strategy at /counter/<name> and lists it in /stats, /cluster and the metrics', async () => {
    const config = { ...defaultConfig(), dbDelayMs: 0 };
    const lab = createLab({
      config,
      identity: { instance: 'test', id: 1, pid: 1 },
      redis: null,
      channel: linkedChannels().worker,
      strategies,
    });
    const app = createApp({
      lab,
      clusterStats: async () => {
        throw new Error('not here');
      },
      metrics: async () => ({ text: '', contentType: 'text/plain' }),
    });

    const answer = await app.request('/counter/tens');
    expect(await answer.json()).toMatchObject({ current_count: 10, strategy: 'tens' });
    const stats = lab.stats();
    expect(stats.counters.tens).toBe(10);
    expect(stats.increments.tens).toBe(1);

    const totals = summarize([stats], perWorkerNames(strategies));
    // Host scope: never summed over workers; /cluster shows its one stored value and its scope.
    expect(totals.counters.tens).toBeUndefined();
    expect(viewStrategies(strategies, totals, { tens: 70 }).tens).toEqual({
      scope: 'host',
      exact: true,
      survives: { crash: true, restart: false },
      route: '/counter/tens',
      value: 70,
    });
    const metrics = await createWorkerMetrics(lab).registry.metrics();
    expect(metrics).toContain('lab_increments_total{strategy="tens"} 1');
  });
});
