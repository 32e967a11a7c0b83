import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRetiredMetrics } from '../../src/primary/retired-metrics.js';

/** One worker's metrics as it would send them: a labelled counter, a histogram, a gauge. */
const workerMetrics = async (requests: number) => {
  const registry = new Registry();
  new Counter({ name: 't_requests_total', help: 'h', labelNames: ['route'], registers: [registry] }).inc(
    { route: '/a' },
    requests,
  );
  new Histogram({ name: 't_seconds', help: 'h', buckets: [1], registers: [registry] }).observe(0.5);
  new Gauge({ name: 't_value', help: 'h', registers: [registry] }).set(42);
  return registry.getMetricsAsJSON();
};

const valuesOf = (json: object[], name: string) =>
  (json as { name: string; values: { value: number; metricName?: string }[] }[]).find((family) => family.name === name)
    ?.values;

describe('retired metrics', () => {
  it('adds up dead workers per series, counters and histograms only', async () => {
    const retired = createRetiredMetrics();
    retired.fold(await workerMetrics(3));
    retired.fold(await workerMetrics(4));
    const json = retired.json();
    expect(valuesOf(json, 't_requests_total')?.map(({ value }) => value)).toEqual([7]);
    const histogram = valuesOf(json, 't_seconds') ?? [];
    expect(histogram.find(({ metricName }) => metricName === 't_seconds_count')?.value).toBe(2);
    expect(histogram.find(({ metricName }) => metricName === 't_seconds_sum')?.value).toBe(1);
    expect(valuesOf(json, 't_value')).toBeUndefined();
  });

  it('stays the same size however many workers die with the same series', async () => {
    const retired = createRetiredMetrics();
    retired.fold(await workerMetrics(1));
    const size = retired.size;
    expect(size).toBeGreaterThan(0);
    for (let index = 0; index < 500; index += 1) retired.fold(await workerMetrics(1));
    expect(retired.size).toBe(size);
    expect(valuesOf(retired.json(), 't_requests_total')?.[0]?.value).toBe(501);
  });
});
