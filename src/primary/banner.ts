import type { Config } from '../config.js';
import type { WorkerIdentity } from '../stats.js';

export interface BannerOptions {
  config: Config;
  url: string;
  workers: readonly WorkerIdentity[];
  readyMs: number;
}

/** What the primary prints once every worker listens: where, who, how fast, and what to try. */
export const formatBanner = ({ config, url, workers, readyMs }: BannerOptions): string => {
  const plural = workers.length === 1 ? '' : 's';
  return [
    `cluster-state-lab: ${workers.length} worker${plural} listening on ${url} (state: ${config.state}), ready in ${Math.round(readyMs)} ms`,
    ...workers.map((worker) => `  worker ${worker.id}  pid ${worker.pid}`),
    '',
    'Try:',
    `  curl -s ${url}/counter            # one worker answers with its own count`,
    `  for i in $(seq 8); do curl -s ${url}/counter; echo; done`,
    `  curl -s ${url}/cluster            # every worker's counters side by side`,
    `  curl -s ${url}/counter/ipc        # one count kept by the primary, shared by all`,
    `  curl -s ${url}/user/1             # slow once per worker, then cached in that worker`,
    '',
    'Stop with Ctrl-C.',
  ].join('\n');
};
