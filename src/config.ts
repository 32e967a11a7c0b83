import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  decodeCacheKey,
  parseAdminToken,
  parseCacheKey,
  parseFlags,
  parseIntegerValue,
  parsePrefix,
  parseRedisUrl,
  parseState,
} from './config-parsers.js';
import { AppError, echo } from './errors.js';

export { decodeCacheKey };

export const STATES = ['memory', 'ipc', 'file', 'redis'] as const;
export type StateName = (typeof STATES)[number];

export interface Config {
  /** Worker processes to fork. @default the number of CPUs */
  workers: number;
  /** TCP port; 0 picks a free one (printed in the banner). @default 3000 */
  port: number;
  /** Address to bind; `0.0.0.0` for a classroom. @default '127.0.0.1' */
  host: string;
  /** Where `/counter` keeps its count. @default 'memory' */
  state: StateName;
  /** Latency of the simulated database, per call. @default 1000 */
  dbDelayMs: number;
  /** Entries the LRU and TTL caches keep per worker. @default 10 */
  cacheMax: number;
  /** Lifetime of a TTL cache entry. @default 10000 */
  cacheTtlMs: number;
  /** The await between read and write in the unsafe counters. @default 5 */
  ioDelayMs: number;
  /** How long a draining worker may take before it is killed. @default 10000 */
  shutdownTimeoutMs: number;
  /**
   * Redis to use. With none, the primary starts a private redis-server from PATH, and fills this in
   * for the workers; with no redis-server either, the Redis routes answer 503. @default null
   */
  redisUrl: string | null;
  /** Namespace for every Redis key; empty keeps the reference's keys (`user:<id>`). @default '' */
  redisPrefix: string;
  /** SETEX seconds of the Redis cache. @default 600 */
  redisTtlS: number;
  /** Where the file counter (and a private redis-server's files) live, made absolute. @default './.data' */
  dataDir: string;
  /**
   * Let clients keep connections open. Off (`--no-keep-alive`), every response closes its connection,
   * so a browser's next request is a new connection and may land on another worker. @default true
   */
  keepAlive: boolean;
  /** Enables POST /admin/* for `Authorization: Bearer <token>`; never printed or logged. @default null */
  adminToken: string | null;
  /** 32-byte key (hex or base64): the Redis cache stores AES-256-GCM ciphertext. @default null */
  cacheKey: string | null;
  /** Safety cap of the otherwise unbounded Map cache; past it new keys are not cached. @default 100000 */
  mapCacheLimit: number;
  /** Log lines as text for a terminal, or one JSON object per line. @default 'text' */
  logFormat: 'text' | 'json';
}

type IntegerKey = {
  [K in keyof Config]: Config[K] extends number ? K : never;
}[keyof Config];

interface IntegerOption {
  key: IntegerKey;
  flag: string;
  env?: string;
  min: number;
  max: number;
  help: string;
}

const INTEGER_OPTIONS: readonly IntegerOption[] = [
  { key: 'workers', flag: 'workers', env: 'WEB_CONCURRENCY', min: 1, max: 64, help: 'worker processes' },
  { key: 'port', flag: 'port', env: 'PORT', min: 0, max: 65535, help: 'port to listen on; 0 = a free port' },
  { key: 'dbDelayMs', flag: 'db-delay-ms', min: 0, max: 600_000, help: 'latency of the simulated database' },
  { key: 'cacheMax', flag: 'cache-max', min: 1, max: 1_000_000, help: 'entries kept by the LRU and TTL caches' },
  { key: 'cacheTtlMs', flag: 'cache-ttl-ms', min: 1, max: 86_400_000, help: 'lifetime of a TTL cache entry' },
  {
    key: 'ioDelayMs',
    flag: 'io-delay-ms',
    min: 0,
    max: 60_000,
    help: 'await between read and write in unsafe counters',
  },
  {
    key: 'mapCacheLimit',
    flag: 'map-cache-limit',
    min: 1,
    max: 10_000_000,
    help: 'safety cap on the unbounded Map cache of /user/:id',
  },
  { key: 'redisTtlS', flag: 'redis-ttl-s', min: 1, max: 2_592_000, help: 'SETEX seconds of the Redis cache' },
  {
    key: 'shutdownTimeoutMs',
    flag: 'shutdown-timeout-ms',
    min: 0,
    max: 600_000,
    help: 'how long in-flight requests may take on shutdown',
  },
];

export const defaultConfig = (): Config => ({
  workers: Math.min(availableParallelism(), 64),
  port: 3000,
  host: '127.0.0.1',
  state: 'memory',
  dbDelayMs: 1000,
  cacheMax: 10,
  cacheTtlMs: 10_000,
  ioDelayMs: 5,
  shutdownTimeoutMs: 10_000,
  redisUrl: null,
  redisPrefix: '',
  redisTtlS: 600,
  dataDir: resolve('.data'),
  keepAlive: true,
  adminToken: null,
  cacheKey: null,
  mapCacheLimit: 100_000,
  logFormat: 'text',
});

const parseInteger = (option: IntegerOption, raw: string, source: string): number =>
  parseIntegerValue(raw, source, option.min, option.max);

export interface ParsedArgs {
  help: boolean;
  config: Config;
}

/** Flags beat environment variables beat defaults; every value is validated here, once. */
export const loadConfig = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs => {
  const options = {
    help: { type: 'boolean', short: 'h' },
    host: { type: 'string' },
    state: { type: 'string' },
    'redis-url': { type: 'string' },
    'redis-prefix': { type: 'string' },
    'data-dir': { type: 'string' },
    'no-keep-alive': { type: 'boolean' },
    'admin-token': { type: 'string' },
    'cache-key': { type: 'string' },
    'log-format': { type: 'string' },
    ...Object.fromEntries(INTEGER_OPTIONS.map((option) => [option.flag, { type: 'string' }])),
  } as const;
  const values: Record<string, string | boolean | undefined> = parseFlags(argv, options).values;

  const config = defaultConfig();
  for (const option of INTEGER_OPTIONS) {
    const flagValue = values[option.flag];
    const envValue = option.env === undefined ? undefined : env[option.env];
    if (typeof flagValue === 'string') {
      config[option.key] = parseInteger(option, flagValue, `\`--${option.flag}\``);
    } else if (envValue !== undefined && envValue !== '' && option.env !== undefined) {
      config[option.key] = parseInteger(option, envValue, `\`${option.env}\``);
    }
  }

  const host = typeof values.host === 'string' ? values.host : env.HOST;
  if (host !== undefined && host !== '') config.host = host;
  if (typeof values.host === 'string' && values.host.trim() === '') {
    throw new AppError('E_CONFIG', 'Expected `--host` to be an address such as 127.0.0.1 or 0.0.0.0, got ``.');
  }

  if (typeof values.state === 'string') config.state = parseState(values.state, '`--state`', STATES);

  if (typeof values['redis-url'] === 'string') config.redisUrl = parseRedisUrl(values['redis-url'], '`--redis-url`');
  else if (env.REDIS_URL !== undefined && env.REDIS_URL !== '')
    config.redisUrl = parseRedisUrl(env.REDIS_URL, '`REDIS_URL`');
  if (typeof values['redis-prefix'] === 'string') config.redisPrefix = parsePrefix(values['redis-prefix']);
  if (typeof values['data-dir'] === 'string') {
    if (values['data-dir'].trim() === '')
      throw new AppError('E_CONFIG', 'Expected `--data-dir` to be a directory path, got ``.');
    config.dataDir = resolve(values['data-dir']);
  }

  if (values['no-keep-alive'] === true) config.keepAlive = false;

  const adminToken = typeof values['admin-token'] === 'string' ? values['admin-token'] : env.ADMIN_TOKEN;
  const adminSource = typeof values['admin-token'] === 'string' ? '`--admin-token`' : '`ADMIN_TOKEN`';
  if (adminToken !== undefined && adminToken !== '') config.adminToken = parseAdminToken(adminToken, adminSource);
  const cacheKey = typeof values['cache-key'] === 'string' ? values['cache-key'] : env.CACHE_KEY;
  const keySource = typeof values['cache-key'] === 'string' ? '`--cache-key`' : '`CACHE_KEY`';
  if (cacheKey !== undefined && cacheKey !== '') config.cacheKey = parseCacheKey(cacheKey, keySource);
  const logFormat = values['log-format'];
  if (typeof logFormat === 'string') {
    if (logFormat !== 'text' && logFormat !== 'json') {
      throw new AppError('E_CONFIG', `Expected \`--log-format\` to be one of text, json, got \`${echo(logFormat)}\`.`);
    }
    config.logFormat = logFormat;
  }

  return { help: values.help === true, config };
};

export const helpText = (): string => {
  const defaults = defaultConfig();
  const rows: [string, string][] = [
    ...INTEGER_OPTIONS.map((option): [string, string] => [
      `--${option.flag} <n>`,
      `${option.help} (${option.min}-${option.max}; default ${option.key === 'workers' ? 'CPU count' : defaults[option.key]}${option.env ? `; env ${option.env}` : ''})`,
    ]),
    ['--host <addr>', `address to bind (default ${defaults.host}; env HOST; 0.0.0.0 for a classroom)`],
    [
      '--state <name>',
      `where /counter (and with redis, /user/:id) keep state: ${STATES.join('|')} (default ${defaults.state})`,
    ],
    ['--redis-url <url>', 'Redis to use (env REDIS_URL); without it a private redis-server is started from PATH'],
    ['--redis-prefix <text>', 'namespace for every Redis key (default none: keys are counter, user:<id>)'],
    ['--data-dir <path>', 'where the file counter and a private Redis keep their files (default ./.data)'],
    ['--admin-token <token>', 'enable POST /admin/crash|reset|reload with this bearer token (env ADMIN_TOKEN)'],
    ['--cache-key <key>', 'encrypt Redis cache values with AES-256-GCM; 32 bytes, hex or base64 (env CACHE_KEY)'],
    ['--log-format <fmt>', 'text (default) or json: one JSON object per lifecycle event'],
    ['--no-keep-alive', 'close every connection after its response, so browser refreshes spread over workers'],
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    'cluster-state-lab: one Hono app, N worker processes, and what happens to their in-process state.',
    '',
    'Usage: npm run cluster -- [options]',
    '       cluster-state-lab [options]',
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
    'Example: npm run cluster -- --workers 4, then: curl -s http://127.0.0.1:3000/counter',
  ].join('\n');
};

const WORKER_CONFIG_ENV = 'CLUSTER_STATE_LAB_CONFIG';

/** The environment a forked worker needs to rebuild the primary's config. */
export const workerEnv = (config: Config): Record<string, string> => ({
  [WORKER_CONFIG_ENV]: JSON.stringify(config),
});

/** Read in a worker: the config its primary validated and serialised. */
export const loadWorkerConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const raw = env[WORKER_CONFIG_ENV];
  if (raw === undefined)
    throw new AppError('E_CONFIG', `A worker needs ${WORKER_CONFIG_ENV}; start the lab through its CLI.`);
  return { ...defaultConfig(), ...(JSON.parse(raw) as Partial<Config>) };
};
