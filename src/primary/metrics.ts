// The primary's own Prometheus metrics: what no worker knows (restarts, live workers) and the counters
// that live outside the workers. Merged with the workers' metrics for GET /metrics.
import { Counter, Gauge, Registry } from 'prom-client';

export interface PrimaryMetricsOptions {
  restarts: () => number;
  liveWorkers: () => number;
  /** The host- and fleet-scoped counters' values (null: unreadable). */
  sharedValues: () => Promise<Record<string, number | null>>;
  /** true/false when Redis is configured, null without Redis. */
  redisUp: () => boolean | null;
}

export const createPrimaryMetrics = ({
  restarts,
  liveWorkers,
  sharedValues,
  redisUp,
}: PrimaryMetricsOptions): Registry => {
  const registry = new Registry();
  let counted = 0;
  const restartsTotal: Counter = new Counter({
    name: 'lab_worker_restarts_total',
    help: 'Workers that died and were replaced by the primary.',
    registers: [registry],
    collect() {
      const total = restarts();
      if (total > counted) restartsTotal.inc(total - counted);
      counted = total;
    },
  });
  const workers: Gauge = new Gauge({
    name: 'lab_workers',
    help: 'Live workers.',
    registers: [registry],
    collect() {
      workers.set(liveWorkers());
    },
  });
  const up: Gauge = new Gauge({
    name: 'lab_redis_up',
    help: '1 when the primary reaches Redis, 0 when it does not (absent without Redis).',
    registers: [registry],
    collect() {
      const state = redisUp();
      if (state !== null) up.set(state ? 1 : 0);
    },
  });
  const shared: Gauge<'strategy'> = new Gauge({
    name: 'lab_shared_value',
    help: 'The one value of each counter kept outside the workers (primary, file, Redis).',
    labelNames: ['strategy'],
    registers: [registry],
    async collect() {
      for (const [strategy, value] of Object.entries(await sharedValues())) {
        if (value !== null) shared.set({ strategy }, value);
      }
    },
  });
  return registry;
};
