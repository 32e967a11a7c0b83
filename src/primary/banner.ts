import type { Config } from '../config.js';
import type { WorkerIdentity } from '../stats.js';
import type { SharedState } from './hub.js';
import type { RedisOrigin } from './resources.js';

export interface BannerOptions {
  config: Config;
  url: string;
  workers: readonly WorkerIdentity[];
  readyMs: number;
  shared: SharedState;
  redisOrigin: RedisOrigin;
}

const describeRedis = ({ redis }: SharedState, origin: RedisOrigin): string => {
  if (redis.url === null) return 'not configured (the Redis routes answer 503; see --help for --redis-url)';
  const who = origin === 'private' ? 'private redis-server started by this cluster' : 'from --redis-url/REDIS_URL';
  return `${redis.url} (${who}), ${redis.up ? 'up' : 'DOWN'}`;
};

/** What the primary prints once every worker listens: where, who, how fast, and what to try. */
export const formatBanner = ({ config, url, workers, readyMs, shared, redisOrigin }: BannerOptions): string => {
  const plural = workers.length === 1 ? '' : 's';
  const fileCount = shared.shared_counters.file;
  return [
    `cluster-state-lab: ${workers.length} worker${plural} listening on ${url} (state: ${config.state}), ready in ${Math.round(readyMs)} ms`,
    ...workers.map((worker) => `  worker ${worker.id}  pid ${worker.pid}`),
    `  redis     ${describeRedis(shared, redisOrigin)}`,
    `  data dir  ${config.dataDir} (file counter: ${fileCount ?? 'unreadable, see /counter/file'})`,
    '',
    'Try:',
    `  curl -s ${url}/counter            # one worker answers with its own count`,
    `  for i in $(seq 8); do curl -s ${url}/counter; echo; done`,
    `  curl -s ${url}/cluster            # every worker's counters side by side`,
    `  curl -s ${url}/counter/ipc        # one count kept by the primary, shared by all`,
    `  curl -s ${url}/user/1             # slow once per worker, then cached in that worker`,
    `  curl -s ${url}/counter/redis      # one atomic INCR for every worker of every cluster`,
    '',
    'Stop with Ctrl-C.',
  ].join('\n');
};
