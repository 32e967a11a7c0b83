export const COUNTER_NAMES = ['local', 'unsafe', 'ipc', 'file', 'redis', 'redis-unsafe'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** One way of keeping a count. Adding a strategy means adding one of these; the routes never change. */
export interface Counter {
  /** The strategy's name: its route is `/counter/<name>`. */
  readonly name: CounterName;
  /** Add one; resolves to the value this increment produced. */
  increment(): Promise<number>;
  /**
   * Optional fast path: add one and return the value at once, when the strategy can do it without
   * waiting (the local counter while its lock is free); undefined means "use increment()". A route
   * that answers without a promise skips a good part of the framework's per-request work.
   */
  incrementNow?(): number | undefined;
  /** The latest value this process knows of, without doing any I/O (for /stats). */
  peek(): number | null;
  /** Forget this process's part: a local count goes to 0, a shared counter's last seen value to null. */
  reset(): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
