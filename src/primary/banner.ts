import { networkInterfaces } from 'node:os';
import type { Config } from '../config.js';
import type { WorkerIdentity } from '../stats.js';
import type { RedisOrigin } from './resources.js';

export interface BannerOptions {
  config: Config;
  url: string;
  workers: readonly WorkerIdentity[];
  readyMs: number;
  /** The host- and fleet-scoped counters' values, read once. */
  shared: Record<string, number | null>;
  redis: { url: string | null; up: boolean };
  redisOrigin: RedisOrigin;
  /** The private redis-server's port and password file, when the primary started one. @default null */
  privateRedis?: { port: number; passwordFile: string } | null;
}

/** A path as one shell word, whatever it holds. */
const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** How to reach the private Redis by hand: the password goes through the environment, never argv (ps). */
export const redisCliCommand = ({ port, passwordFile }: { port: number; passwordFile: string }): string =>
  `REDISCLI_AUTH="$(cat ${shellQuote(passwordFile)})" redis-cli -p ${port}`;

const describeRedis = (redis: BannerOptions['redis'], origin: RedisOrigin): string => {
  if (redis.url === null) return 'not configured (the Redis routes answer 503; see --help for --redis-url)';
  const who = origin === 'private' ? 'private redis-server started by this cluster' : 'from --redis-url/REDIS_URL';
  return `${redis.url} (${who}), ${redis.up ? 'up' : 'DOWN'}`;
};

/** Where students can reach a cluster bound to every interface: this machine's external IPv4 addresses. */
const lanUrls = (port: number): string[] =>
  Object.values(networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && address.family === 'IPv4' && !address.internal)
    .map((address) => `http://${address?.address}:${port}/`);

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** Never the token itself: only whether the routes are on. */
const adminLines = (config: Config): string[] => {
  if (config.adminToken !== null)
    return [
      'Admin routes are on: POST /admin/crash|reset|reload|kill|redis/stop|redis/start|keep-alive with the bearer token; the dashboard shows the controls once the token is typed into it.',
    ];
  if (LOOPBACK.test(config.host)) return [];
  return ['Admin routes are off (no --admin-token): nobody in the room can crash, reset or reload this cluster.'];
};

/** What the primary prints once every worker listens: where, who, how fast, and what to try. */
export const formatBanner = ({
  config,
  url: boundUrl,
  workers,
  readyMs,
  shared,
  redis,
  redisOrigin,
  privateRedis = null,
}: BannerOptions): string => {
  const plural = workers.length === 1 ? '' : 's';
  const port = Number(new URL(boundUrl).port);
  const everywhere = config.host === '0.0.0.0' || config.host === '::';
  // curl lines work on this machine; the room gets the LAN addresses.
  const url = everywhere ? `http://127.0.0.1:${port}` : boundUrl;
  const room = everywhere ? lanUrls(port) : [];
  const fileCount = shared.file;
  return [
    `cluster-state-lab: ${workers.length} worker${plural} listening on ${boundUrl} (instance ${config.instance}, state: ${config.state}), ready in ${Math.round(readyMs)} ms`,
    ...workers.map((worker) => `  worker ${worker.id}  pid ${worker.pid}`),
    `  redis     ${describeRedis(redis, redisOrigin)}`,
    ...(privateRedis === null ? [] : [`  redis-cli ${redisCliCommand(privateRedis)}`]),
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
    config.keepAlive
      ? 'In a browser, refresh keeps one connection and so one worker: add --no-keep-alive to spread refreshes.'
      : 'Keep-alive is off (--no-keep-alive): every request is a new connection, so refreshes spread over workers.',
    `Dashboard: ${url}/`,
    ...adminLines(config),
    ...(room.length > 0 ? [`For the room: ${room.join('  ')}`] : []),
    'Stop with Ctrl-C.',
  ].join('\n');
};
