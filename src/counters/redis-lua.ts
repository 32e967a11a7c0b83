// The same read-modify-write as redis-watch, sent to Redis as one Lua script: Redis runs a script
// from start to end with nothing in between, so there is nothing to retry and one round trip per
// increment. Where it breaks: while a script runs, Redis serves nobody else, so the logic must stay
// small and fast; and the logic now lives in Redis, in Lua, beside the data rather than in the app.
import { defineScript } from '../redis/scripts.js';
import { exactCount, MAX_REDIS_COUNT, redisStorage } from './redis.js';
import { type CounterStrategy, lastSeen } from './strategy.js';

export const redisLuaCounterKey = (prefix: string): string => `${prefix}counter:lua`;

// GET, compute, SET: the same steps as the WATCH transaction. A count at the limit is refused with
// Redis's own overflow words, which the lab turns into a 409 (see MAX_REDIS_COUNT).
const READ_MODIFY_WRITE = `
local read = tonumber(redis.call('GET', KEYS[1]) or '0')
if read == nil or read ~= math.floor(read) then return redis.error_reply('ERR value is not an integer') end
if read >= tonumber(ARGV[1]) then return redis.error_reply('ERR increment or decrement would overflow') end
local next = read + 1
redis.call('SET', KEYS[1], string.format('%d', next))
return next
`;

const runReadModifyWrite = defineScript('labReadModifyWrite', READ_MODIFY_WRITE, 1);

export const redisLuaStrategy: CounterStrategy = {
  name: 'redis-lua',
  scope: 'fleet',
  exact: true,
  survives: { crash: true, restart: true },
  summary: 'Redis Lua script (EVALSHA): GET, compute, SET with nothing in between',
  createCounter: ({ redis, config }) => {
    const key = redisLuaCounterKey(config.redisPrefix);
    const seen = lastSeen();
    return {
      name: 'redis-lua',
      increment: async () =>
        seen.record(
          await exactCount(redis, key, async (client) =>
            Number(await runReadModifyWrite(client, [key], [MAX_REDIS_COUNT])),
          ),
        ),
      peek: seen.peek,
      reset: seen.reset,
    };
  },
  createStorage: ({ redis, config }) => redisStorage(redis, redisLuaCounterKey(config.redisPrefix)),
};
