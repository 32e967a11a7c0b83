// Single-flight per key: while a load for a key is running, whoever asks for the same key waits for
// that load instead of starting another. Nothing is kept after it settles: this is not a cache,
// only a meeting point for concurrent misses (the `worker` stampede guard).

export interface InFlight<K, V> {
  /** The running load for `key`, or `load()` started now; `joined` says which. */
  run(key: K, load: () => Promise<V>): { promise: Promise<V>; joined: boolean };
  /** Loads running now. */
  readonly size: number;
}

export const createInFlight = <K, V>(): InFlight<K, V> => {
  const running = new Map<K, Promise<V>>();
  return {
    run(key, load) {
      const current = running.get(key);
      if (current !== undefined) return { promise: current, joined: true };
      const promise = load().finally(() => running.delete(key));
      running.set(key, promise);
      return { promise, joined: false };
    },
    get size() {
      return running.size;
    },
  };
};
