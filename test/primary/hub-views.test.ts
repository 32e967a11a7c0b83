import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import { createHub, type HubWorker } from '../../src/primary/hub.js';
import { createSharedCounters } from '../../src/primary/shared-state.js';
import type { WorkerStats } from '../../src/stats.js';
import { linkedChannels } from '../helpers/channels.js';

/** A fake worker with a real prom-client registry: a counter, a histogram and a gauge of its own. */
const fakeWorker = (id: number) => {
  const registry = new Registry();
  const requests = new Counter({ name: 't_requests_total', help: 'h', labelNames: ['route'], registers: [registry] });
  const duration = new Histogram({ name: 't_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] });
  const value = new Gauge({ name: 't_value', help: 'h', labelNames: ['worker'], registers: [registry] });
  value.set({ worker: String(id) }, id);
  const asked = { stats: 0, metrics: 0 };
  const { worker, primary, cut } = linkedChannels();
  let silent = false;
  worker.handle('collect-metrics', () => {
    asked.metrics += 1;
    // Silent: never answers (the hub's per-worker timeout leaves it out).
    return silent ? new Promise<never>(() => {}) : registry.getMetricsAsJSON();
  });
  worker.handle('stats', () => {
    asked.stats += 1;
    return {
      id,
      pid: 1000 + id,
      seq: asked.stats,
      counters: {},
      increments: {},
      max_answers: {},
      caches: {},
      requests: 0,
      db_calls: 0,
    } as unknown as WorkerStats;
  });
  const hubWorker: HubWorker = { identity: { instance: 'test', id, pid: 1000 + id }, channel: primary };
  return {
    id,
    hubWorker,
    asked,
    requests,
    duration,
    die: cut,
    setSilent: (value: boolean) => {
      silent = value;
    },
  };
};

const makeHub = (count: number) => {
  const workers = Array.from({ length: count }, (_, index) => fakeWorker(index + 1));
  let live = [...workers];
  const config = { ...defaultConfig(), dataDir: '/nonexistent-dir-for-the-hub-test' };
  const hub = createHub({
    instance: 'test',
    liveWorkers: () => live.map((worker) => worker.hubWorker),
    strategies: COUNTER_STRATEGIES,
    restarts: () => 0,
    redis: () => ({ url: null, up: false, origin: 'none', pid: null, stopped: false }),
    dataDir: config.dataDir,
    reload: () => ({ started: true, workers: live.length }),
    primaryRegistry: new Registry(),
  });
  hub.useSharedCounters(
    createSharedCounters({ strategies: COUNTER_STRATEGIES, config, redis: null, handle: hub.handle }),
  );
  for (const worker of workers) hub.attach(worker.hubWorker.channel);
  const kill = (id: number) => {
    const worker = workers.find((candidate) => candidate.id === id);
    worker?.die();
    worker?.hubWorker.channel.close(new Error('exited'));
    live = live.filter((candidate) => candidate.id !== id);
    hub.workerExited({ instance: 'test', id, pid: 1000 + id }, { code: null, signal: 'SIGKILL', reason: null });
  };
  return { hub, workers, kill };
};

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('the hub under many concurrent views', () => {
  it('answers 40 concurrent /metrics and 40 concurrent /cluster asks with one aggregation each', async () => {
    const { hub, workers } = makeHub(3);
    const [texts, clusters] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => hub.metrics())),
      Promise.all(Array.from({ length: 40 }, () => hub.gather())),
    ]);
    expect(new Set(texts.map(({ text }) => text)).size).toBe(1);
    expect(clusters.every((cluster) => cluster.workers.length === 3)).toBe(true);
    for (const worker of workers) expect(worker.asked).toEqual({ stats: 1, metrics: 1 });
  });

  it('never answers with an aggregation older than the ask', async () => {
    const { hub, workers } = makeHub(2);
    workers[0]?.requests.inc({ route: '/a' }, 3);
    expect(sample((await hub.metrics()).text, 't_requests_total{route="/a"}')).toBe(3);
    workers[0]?.requests.inc({ route: '/a' }, 4);
    expect(sample((await hub.metrics()).text, 't_requests_total{route="/a"}')).toBe(7);
  });
});

describe("the hub's metrics across worker deaths", () => {
  it("keeps a dead worker's counters and histograms as the last scrape saw them, and drops its gauges", async () => {
    const { hub, workers, kill } = makeHub(2);
    const [one, two] = workers;
    one?.requests.inc({ route: '/a' }, 10);
    two?.requests.inc({ route: '/a' }, 20);
    one?.duration.observe(0.5);
    two?.duration.observe(2);
    const before = (await hub.metrics()).text;
    expect(sample(before, 't_requests_total{route="/a"}')).toBe(30);
    expect(sample(before, 't_value{worker="1"}')).toBe(1);

    kill(1);
    two?.requests.inc({ route: '/a' }, 1);
    const after = (await hub.metrics()).text;
    expect(sample(after, 't_requests_total{route="/a"}')).toBe(31);
    expect(sample(after, 't_seconds_count')).toBe(2);
    expect(sample(after, 't_seconds_bucket{le="1"}')).toBe(1);
    expect(sample(after, 't_value{worker="1"}')).toBeUndefined();
    expect(sample(after, 't_value{worker="2"}')).toBe(2);
  });

  it('counts a live worker that does not answer this time with its last answer, not as zero', async () => {
    const { hub, workers } = makeHub(2);
    workers[0]?.requests.inc({ route: '/a' }, 5);
    workers[1]?.requests.inc({ route: '/a' }, 6);
    expect(sample((await hub.metrics()).text, 't_requests_total{route="/a"}')).toBe(11);
    workers[1]?.setSilent(true);
    expect(sample((await hub.metrics()).text, 't_requests_total{route="/a"}')).toBe(11);
  });
});
