// What dead workers counted, kept by the primary so that /metrics never goes backwards: Prometheus
// reads a counter that falls as a reset, and a cluster that replaces workers is not one that
// restarted. Each dead worker's last known counters and histograms are added into one running sum
// per series (gauges of a dead worker describe nothing any more and are dropped), so the memory is
// bounded by the number of series, not by the number of workers that ever died.
import type { MetricsJson } from '../ipc/protocol.js';

/** The part of prom-client's getMetricsAsJSON() entry that folding needs. */
interface SeriesJson {
  value: number;
  labels: Record<string, string | number>;
  /** A histogram's sample name (`…_bucket`, `…_sum`, `…_count`). */
  metricName?: string;
}
interface FamilyJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: SeriesJson[];
}

/** Only these only ever grow: summing a dead worker's last value into them keeps them monotonic. */
const FOLDED_TYPES = new Set(['counter', 'histogram']);

const seriesKey = ({ metricName = '', labels }: SeriesJson): string =>
  `${metricName}{${Object.keys(labels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(labels[name])}`)
    .join(',')}}`;

export interface RetiredMetrics {
  /** Add one dead worker's last known metrics. */
  fold(metrics: MetricsJson): void;
  /** The sums so far, in getMetricsAsJSON()'s shape, for AggregatorRegistry.aggregate. */
  json(): MetricsJson;
  /** Series held (for the bound on memory). */
  readonly size: number;
}

export const createRetiredMetrics = (): RetiredMetrics => {
  const families = new Map<string, { family: Omit<FamilyJson, 'values'>; series: Map<string, SeriesJson> }>();
  let size = 0;
  return {
    fold(metrics) {
      for (const family of metrics as FamilyJson[]) {
        if (!FOLDED_TYPES.has(family.type)) continue;
        let kept = families.get(family.name);
        if (kept === undefined) {
          const { name, help, type, aggregator } = family;
          kept = { family: { name, help, type, aggregator }, series: new Map() };
          families.set(name, kept);
        }
        for (const series of family.values) {
          const key = seriesKey(series);
          const sum = kept.series.get(key);
          if (sum === undefined) {
            kept.series.set(key, { ...series, labels: { ...series.labels } });
            size += 1;
          } else {
            sum.value += series.value;
          }
        }
      }
    },
    json: () =>
      [...families.values()].map(({ family, series }): FamilyJson => ({ ...family, values: [...series.values()] })),
    get size() {
      return size;
    },
  };
};
