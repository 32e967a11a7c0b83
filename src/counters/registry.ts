// The one list of counter strategies. Each line is a file of its own in this folder; the order is
// the scope ladder (worker → host → fleet), which is also the order of the dashboard and the bench.
import { fileStrategy } from './file.js';
import { ipcStrategy } from './ipc.js';
import { localStrategy } from './local.js';
import { redisStrategy } from './redis.js';
import { redisLuaStrategy } from './redis-lua.js';
import { redisUnsafeStrategy } from './redis-unsafe.js';
import { redisWatchStrategy } from './redis-watch.js';
import type { CounterStrategy } from './strategy.js';
import { unsafeStrategy } from './unsafe.js';

export const COUNTER_STRATEGIES: readonly CounterStrategy[] = [
  localStrategy,
  unsafeStrategy,
  ipcStrategy,
  fileStrategy,
  redisStrategy,
  redisUnsafeStrategy,
  redisWatchStrategy,
  redisLuaStrategy,
];

/** The strategy called `name` in `strategies`; throws for a name that is not there (a caller bug). */
export const strategyNamed = (name: string, strategies: readonly CounterStrategy[] = COUNTER_STRATEGIES) => {
  const strategy = strategies.find((candidate) => candidate.name === name);
  if (strategy === undefined) throw new Error(`No counter strategy called ${name}.`);
  return strategy;
};

/** Name → scope, as /cluster publishes it. */
export const scopesOf = (strategies: readonly CounterStrategy[]) =>
  Object.fromEntries(strategies.map((strategy) => [strategy.name, strategy.scope]));
