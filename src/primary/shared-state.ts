// The counters kept outside the workers (host and fleet scope), as the primary sees them: built from
// the registry, each strategy's storage in its own file. The primary reads them for /cluster, the
// banner and the metrics, and resets them for POST /admin/reset?shared=1.
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { CounterStrategy, PrimarySide, SharedStorage } from '../counters/strategy.js';

export interface SharedCounters {
  /** Each shared strategy's value now (null: unreadable); never rejects. */
  read(): Promise<Record<string, number | null>>;
  /** These shared strategies (default: all) back to 0; rejects with what could not be reset. */
  reset(names?: readonly string[]): Promise<void>;
}

export interface SharedCountersOptions {
  strategies: readonly CounterStrategy[];
  config: Config;
  redis: Redis | null;
  handle: PrimarySide['handle'];
}

export const createSharedCounters = ({ strategies, config, redis, handle }: SharedCountersOptions): SharedCounters => {
  const storages: [string, SharedStorage][] = [];
  for (const strategy of strategies) {
    const storage = strategy.createStorage?.({ config, redis, handle });
    if (storage !== undefined) storages.push([strategy.name, storage]);
  }
  return {
    async read() {
      const values = await Promise.all(storages.map(([, storage]) => storage.read().catch(() => null)));
      return Object.fromEntries(storages.map(([name], index) => [name, values[index] ?? null]));
    },
    async reset(names) {
      const chosen = storages.filter(([name]) => names === undefined || names.includes(name));
      const results = await Promise.allSettled(chosen.map(([, storage]) => storage.reset()));
      const failed = results.flatMap((result, index) =>
        result.status === 'rejected' ? [`${chosen[index]?.[0]}: ${String(result.reason)}`] : [],
      );
      if (failed.length > 0) throw new Error(`Could not reset ${failed.join('; ')}`);
    },
  };
};
