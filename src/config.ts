// Every option of the lab in one declarative table (as citty's args definitions are): its flag, its
// environment variable, its default, how its value is checked, and its --help line. Parsing, the
// environment, defaults, validation and --help all come from the table; the README's option table
// is checked against it by a test. Flags beat environment variables beat defaults.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import {
  decodeCacheKey,
  parseAdminToken,
  parseCacheKey,
  parseChoice,
  parseFlags,
  parseInstance,
  parseIntegerValue,
  parsePrefix,
  parseRedisUrl,
} from './config-parsers.js';
import { AppError, echo } from './errors.js';
import { redisUrlHasSecret } from './redis/url.js';

export { decodeCacheKey };

export const STATES = ['memory', 'ipc', 'file', 'redis'] as const;
export type StateName = (typeof STATES)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
/** node:cluster's scheduling: `rr`, the primary hands each connection to the next worker; `os`, the kernel picks. */
export const SCHEDULES = ['rr', 'os'] as const;
export type Schedule = (typeof SCHEDULES)[number];

/** The counter strategy `/counter` uses for each `--state`. */
export const STATE_STRATEGY: Record<StateName, string> = { memory: 'local', ipc: 'ipc', file: 'file', redis: 'redis' };

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
   * On SIGINT/SIGTERM, how long every worker answers /healthz 503 "draining" (and every other route
   * as usual) before it stops accepting, so that a load balancer's health checks take this host out
   * first (Kubernetes' preStop sleep); a second signal skips the rest; 0 drains at once. @default 0
   */
  shutdownDelayMs: number;
  /**
   * Recycle a worker after it has served this many requests (plus up to `maxRequestsJitter`): it is
   * replaced, then drains and exits, as gunicorn's and uvicorn's --max-requests; 0 is off. @default 0
   */
  maxRequests: number;
  /** Up to this many more requests, drawn per worker, so workers are not all recycled at once. @default 0 */
  maxRequestsJitter: number;
  /**
   * How long a worker may leave the primary's heartbeat unanswered (a stopped process, a blocked
   * event loop) before the primary kills and replaces it; 0 turns the heartbeat off. @default 5000
   */
  heartbeatGraceMs: number;
  /** How long a client may take to send its request headers before a 408. @default 10000 */
  headersTimeoutMs: number;
  /** How long a client may take to send its whole request before a 408. @default 30000 */
  requestTimeoutMs: number;
  /** Who picks the worker for a new connection: the primary in turn (`rr`) or the kernel (`os`). @default 'rr' */
  schedule: Schedule;
  /**
   * Redis to use. With none, the primary starts a private redis-server from PATH, and fills this in
   * for the workers; with no redis-server either, the Redis routes answer 503. @default null
   */
  redisUrl: string | null;
  /** Namespace for every Redis key; empty keeps the reference's keys (`user:<id>`). @default '' */
  redisPrefix: string;
  /** SETEX seconds of the Redis cache. @default 600 */
  redisTtlS: number;
  /**
   * Refresh a Redis cache entry in the background once it has less than this left to live (one
   * refresh for the fleet, under the entry's lease), so a hot key never expires under load; 0 is off,
   * the reference's behaviour. @default 0
   */
  redisEarlyRefreshMs: number;
  /**
   * maxmemory of the private redis-server, in MiB, with maxmemory-policy volatile-lru: only keys with
   * a TTL (the cache's) are evicted, never the counters. A --redis-url server keeps its own. @default 64
   */
  redisMaxMemoryMb: number;
  /** Where the file counter (and a private redis-server's files) live, made absolute. @default './.data' */
  dataDir: string;
  /**
   * Fence the file counter's writes: a holder whose lock was taken over while it stalled cannot
   * write. Off keeps the lock alone (a lease), to show what that lets through. @default true
   */
  fileFencing: boolean;
  /**
   * Let clients keep connections open. Off (`--no-keep-alive`), every response closes its connection,
   * so a browser's next request is a new connection and may land on another worker. @default true
   */
  keepAlive: boolean;
  /** Enables POST /admin/* for `Authorization: Bearer <token>`; never printed or logged. @default null */
  adminToken: string | null;
  /** Failed admin attempts per client address within the window before it gets 429s. @default 10 */
  adminMaxFailures: number;
  /** The window over which failed admin attempts are counted, in seconds. @default 60 */
  adminFailureWindowS: number;
  /** 32-byte key (hex or base64): the Redis cache stores AES-256-GCM ciphertext. @default null */
  cacheKey: string | null;
  /** Safety cap of the otherwise unbounded Map cache; past it new keys are not cached. @default 100000 */
  mapCacheLimit: number;
  /** Log lines as text for a terminal, or one JSON object per line. @default 'text' */
  logFormat: 'text' | 'json';
  /**
   * This cluster's name in every worker identity (bodies, headers, /cluster): worker ids repeat
   * across clusters, so answers from two hosts are told apart by it. @default the machine's hostname
   */
  instance: string;
}

/** The machine's hostname, cut to what an instance name may hold. */
const defaultInstance = (): string =>
  hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 64) || 'localhost';

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
  shutdownDelayMs: 0,
  maxRequests: 0,
  maxRequestsJitter: 0,
  heartbeatGraceMs: 5000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  schedule: 'rr',
  redisUrl: null,
  redisPrefix: '',
  redisTtlS: 600,
  redisEarlyRefreshMs: 0,
  redisMaxMemoryMb: 64,
  dataDir: resolve('.data'),
  fileFencing: true,
  keepAlive: true,
  adminToken: null,
  adminMaxFailures: 10,
  adminFailureWindowS: 60,
  cacheKey: null,
  mapCacheLimit: 100_000,
  logFormat: 'text',
  instance: defaultInstance(),
});

interface OptionBase<K extends keyof Config> {
  key: K;
  /** The flag without its dashes. */
  flag: string;
  /** What --help and the README's table say about it. */
  help: string;
  /** The default as people read it (`CPU count`, `none`, `./.data`). */
  shownDefault: string;
}

/** An option that takes a value: `--port 3000`, or `PORT=3000`. */
export interface ValueOption<K extends keyof Config> extends OptionBase<K> {
  kind: 'value';
  /** The placeholder in --help: `<n>`, `<url>`. */
  arg: string;
  env?: string;
  /** Check and convert; `source` names where the value came from (`--port`, `PORT`) for the error. */
  parse(raw: string, source: string): Config[K];
  /**
   * The value is a secret (true), or is one when this says so (a Redis URL with a password): given
   * as a flag, `ps` shows it to every local user, so it draws a warning naming the safer ways.
   */
  secret?: true | ((raw: string) => boolean);
  /** The value is a path: the setting is the file's content (without its trailing newline). */
  readsFile?: true;
}

/** A switch: present or not (`--no-keep-alive`). */
export interface SwitchOption<K extends keyof Config> extends OptionBase<K> {
  kind: 'switch';
  /** The value the switch sets. */
  value: Config[K];
}

export type Option = { [K in keyof Config]: ValueOption<K> | SwitchOption<K> }[keyof Config];

const integer = <K extends { [P in keyof Config]: Config[P] extends number ? P : never }[keyof Config]>(
  key: K,
  flag: string,
  min: number,
  max: number,
  help: string,
  extra: { env?: string; shownDefault?: string } = {},
): ValueOption<K> => ({
  kind: 'value',
  key,
  flag,
  arg: '<n>',
  help: `${help} (${min}-${max})`,
  env: extra.env,
  shownDefault: extra.shownDefault ?? String(defaultConfig()[key]),
  parse: (raw, source) => parseIntegerValue(raw, source, min, max) as Config[K],
});

/** `--<flag>-file <path>` (and `<ENV>_FILE`) for a secret option: the same setting, read from a file. */
const fromFile = <K extends keyof Config>(option: ValueOption<K>): ValueOption<K> => ({
  kind: 'value',
  key: option.key,
  flag: `${option.flag}-file`,
  arg: '<path>',
  env: option.env === undefined ? undefined : `${option.env}_FILE`,
  shownDefault: 'none',
  help: `--${option.flag} read from this file, kept out of ps (one line; mode 600)`,
  parse: option.parse,
  readsFile: true,
});

const nonEmpty = (what: string) => (raw: string, source: string) => {
  if (raw.trim() === '') throw new AppError('E_CONFIG', `Expected ${source} to be ${what}, got \`\`.`);
  return raw;
};

const REDIS_URL_OPTION: ValueOption<'redisUrl'> = {
  kind: 'value',
  key: 'redisUrl',
  flag: 'redis-url',
  arg: '<url>',
  env: 'REDIS_URL',
  shownDefault: 'none',
  help: 'Redis to use; with none, a private redis-server from PATH',
  parse: parseRedisUrl,
  secret: redisUrlHasSecret,
};

const ADMIN_TOKEN_OPTION: ValueOption<'adminToken'> = {
  kind: 'value',
  key: 'adminToken',
  flag: 'admin-token',
  arg: '<token>',
  env: 'ADMIN_TOKEN',
  shownDefault: 'none',
  help: 'turn on POST /admin/crash|reset|reload for this bearer token (16+ characters)',
  parse: parseAdminToken,
  secret: true,
};

const CACHE_KEY_OPTION: ValueOption<'cacheKey'> = {
  kind: 'value',
  key: 'cacheKey',
  flag: 'cache-key',
  arg: '<key>',
  env: 'CACHE_KEY',
  shownDefault: 'none',
  help: 'encrypt Redis cache values with AES-256-GCM; 32 bytes, hex or base64',
  parse: parseCacheKey,
  secret: true,
};

/** Every option of the lab, in --help order. */
export const OPTIONS: readonly Option[] = [
  integer('workers', 'workers', 1, 64, 'worker processes', { env: 'WEB_CONCURRENCY', shownDefault: 'CPU count' }),
  integer('port', 'port', 0, 65535, 'port to listen on; 0 picks a free one', { env: 'PORT' }),
  {
    kind: 'value',
    key: 'host',
    flag: 'host',
    arg: '<addr>',
    env: 'HOST',
    shownDefault: '127.0.0.1',
    help: 'address to bind; 0.0.0.0 lets a classroom in',
    parse: nonEmpty('an address such as 127.0.0.1 or 0.0.0.0'),
  },
  {
    kind: 'value',
    key: 'state',
    flag: 'state',
    arg: '<name>',
    shownDefault: 'memory',
    help: `what /counter uses: ${STATES.join(', ')} (redis also moves /user/:id to Redis)`,
    parse: (raw, source) => parseChoice(raw, source, STATES),
  },
  REDIS_URL_OPTION,
  fromFile(REDIS_URL_OPTION),
  {
    kind: 'value',
    key: 'redisPrefix',
    flag: 'redis-prefix',
    arg: '<text>',
    shownDefault: 'none',
    help: 'namespace for every Redis key (lab1: gives lab1:counter, lab1:user:7)',
    parse: parsePrefix,
  },
  integer('redisTtlS', 'redis-ttl-s', 1, 2_592_000, 'SETEX seconds of the Redis cache'),
  integer(
    'redisEarlyRefreshMs',
    'redis-early-refresh-ms',
    0,
    2_592_000_000,
    'refresh a Redis cache entry in the background once it has less than this left to live; 0 is off',
  ),
  integer(
    'redisMaxMemoryMb',
    'redis-max-memory-mb',
    1,
    1_048_576,
    "maxmemory of a private redis-server (MiB); only the cache's keys (with a TTL) are evicted",
  ),
  {
    kind: 'value',
    key: 'dataDir',
    flag: 'data-dir',
    arg: '<path>',
    shownDefault: './.data',
    help: "the file counter and a private Redis's files",
    parse: (raw, source) => resolve(nonEmpty('a directory path')(raw, source)),
  },
  {
    kind: 'value',
    key: 'fileFencing',
    flag: 'file-fencing',
    arg: '<mode>',
    env: 'FILE_FENCING',
    shownDefault: 'on',
    help: "on or off; off: the file counter trusts its lock's lease alone, so a stalled holder's late write gets through (lesson 8)",
    parse: (raw, source) => parseChoice(raw, source, ['on', 'off']) === 'on',
  },
  integer('dbDelayMs', 'db-delay-ms', 0, 600_000, 'latency of the simulated database'),
  integer('cacheMax', 'cache-max', 1, 1_000_000, 'entries in the LRU and TTL caches'),
  integer('cacheTtlMs', 'cache-ttl-ms', 1, 86_400_000, 'lifetime of a TTL cache entry'),
  integer('ioDelayMs', 'io-delay-ms', 0, 60_000, 'the await between read and write in the unsafe counters'),
  integer('shutdownTimeoutMs', 'shutdown-timeout-ms', 0, 600_000, 'how long in-flight requests may finish on shutdown'),
  // At most a minute: Docker stops a container after 10 s, Kubernetes after 30 s, systemd after 90 s,
  // and a balancer that needs longer than a minute to notice a failing check is the thing to fix.
  integer(
    'shutdownDelayMs',
    'shutdown-delay-ms',
    0,
    60_000,
    'on SIGINT/SIGTERM, answer /healthz 503 "draining" this long (serving the rest) before draining, so a load balancer takes the host out first; 0 is off',
    { env: 'SHUTDOWN_DELAY_MS' },
  ),
  integer(
    'maxRequests',
    'max-requests',
    0,
    1_000_000_000,
    'recycle a worker after this many requests (replaced first, then drained); 0 is off',
  ),
  integer(
    'maxRequestsJitter',
    'max-requests-jitter',
    0,
    1_000_000_000,
    'up to this many more requests per worker, drawn at random, so workers are not recycled together',
  ),
  integer(
    'heartbeatGraceMs',
    'heartbeat-grace-ms',
    0,
    600_000,
    'how long a worker may leave the heartbeat unanswered before it is replaced; 0 turns it off',
  ),
  integer('headersTimeoutMs', 'headers-timeout-ms', 1000, 600_000, 'time a client has to send its headers (then 408)'),
  integer(
    'requestTimeoutMs',
    'request-timeout-ms',
    1000,
    3_600_000,
    'time a client has to send its request (then 408)',
  ),
  {
    kind: 'value',
    key: 'schedule',
    flag: 'schedule',
    arg: '<policy>',
    env: 'CLUSTER_SCHEDULE',
    shownDefault: 'rr',
    help: 'who picks the worker for a connection: rr (the primary, in turn) or os (the kernel)',
    parse: (raw, source) => parseChoice(raw, source, SCHEDULES),
  },
  {
    kind: 'switch',
    key: 'keepAlive',
    flag: 'no-keep-alive',
    value: false,
    shownDefault: 'off',
    help: 'close every connection after its answer, so browser refreshes spread over workers',
  },
  ADMIN_TOKEN_OPTION,
  fromFile(ADMIN_TOKEN_OPTION),
  integer(
    'adminMaxFailures',
    'admin-max-failures',
    1,
    1000,
    'failed admin attempts per client address, cluster-wide, before it gets 429s',
  ),
  integer('adminFailureWindowS', 'admin-failure-window-s', 1, 86_400, 'seconds over which failed admin attempts count'),
  CACHE_KEY_OPTION,
  fromFile(CACHE_KEY_OPTION),
  integer('mapCacheLimit', 'map-cache-limit', 1, 10_000_000, 'safety cap of the otherwise unbounded Map cache'),
  {
    kind: 'value',
    key: 'logFormat',
    flag: 'log-format',
    arg: '<fmt>',
    shownDefault: 'text',
    help: 'text, or json: one JSON object per log line (and a ready event tools can read)',
    parse: (raw, source) => parseChoice(raw, source, LOG_FORMATS),
  },
  {
    kind: 'value',
    key: 'instance',
    flag: 'instance',
    arg: '<name>',
    env: 'LAB_INSTANCE',
    shownDefault: 'hostname',
    help: "this cluster's name in every worker identity (1-64 of A-Z a-z 0-9 . _ -)",
    parse: parseInstance,
  },
];

export interface ParsedArgs {
  help: boolean;
  config: Config;
  /** Lines to log once a logger exists: a secret on the command line, a secret file others can read. */
  warnings: string[];
}

const parseArgsOptions = (): NonNullable<ParseArgsConfig['options']> => ({
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(
    OPTIONS.map((option) => [option.flag, { type: option.kind === 'switch' ? 'boolean' : 'string' }] as const),
  ),
});

/** Set one option on `config`; the generic keeps each option's parse and key in step. */
const apply = <K extends keyof Config>(config: Config, key: K, value: Config[K]): void => {
  config[key] = value;
};

/** node:http refuses a headers timeout longer than the request timeout; say it as an option error. */
const checkTimeouts = ({ headersTimeoutMs, requestTimeoutMs }: Config): void => {
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--headers-timeout-ms\` (${headersTimeoutMs}) to be at most \`--request-timeout-ms\` (${requestTimeoutMs}): the headers are part of the request.`,
    );
  }
};

/** An entry refreshed once it has its whole life left would be refreshed on every hit. */
const checkEarlyRefresh = ({ redisEarlyRefreshMs, redisTtlS }: Config): void => {
  if (redisEarlyRefreshMs >= redisTtlS * 1000) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--redis-early-refresh-ms\` (${redisEarlyRefreshMs}) to be less than \`--redis-ttl-s\` (${redisTtlS} s): the refresh window is the end of an entry's life.`,
    );
  }
};

const checkMaxRequests = ({ maxRequests, maxRequestsJitter }: Config): void => {
  if (maxRequestsJitter > 0 && maxRequests === 0) {
    throw new AppError(
      'E_CONFIG',
      `\`--max-requests-jitter\` (${maxRequestsJitter}) only spreads \`--max-requests\`, which is off; give \`--max-requests <n>\` too.`,
    );
  }
};

/** A secret file's content, without its trailing newline; a warning when other users can read it. */
const readSecretFile = (path: string, source: string, warnings: string[]): string => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError(
      'E_CONFIG',
      `Cannot read ${source} ${echo(path, 200)} (${code}); give a file this user can read.`,
      {
        cause: error,
      },
    );
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o044) !== 0) {
    warnings.push(
      `${source} ${echo(path, 200)} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it.`,
    );
  }
  return text.replace(/[\r\n]+$/, '');
};

const isSecretValue = (option: ValueOption<keyof Config>, raw: string): boolean =>
  option.secret === true || (typeof option.secret === 'function' && option.secret(raw));

/** Where else a secret option can come from, for the warning about it being on the command line. */
const saferWays = (option: ValueOption<keyof Config>): string =>
  [
    option.env,
    ...OPTIONS.filter((other) => other.kind === 'value' && other.readsFile && other.key === option.key).map(
      (other) => `--${other.flag}`,
    ),
  ]
    .filter((way) => way !== undefined)
    .join(' or ');

/**
 * Flags beat environment variables beat defaults; every value is validated here, once. Two options
 * may set one setting (`--admin-token`, `--admin-token-file`): any flag of them beats any variable,
 * and two flags (or two variables) for one setting are refused.
 */
export const loadConfig = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs => {
  // No option is `multiple`, so every value is one string or one boolean.
  const values = parseFlags(argv, parseArgsOptions()).values as Record<string, string | boolean | undefined>;
  const config = defaultConfig();
  const warnings: string[] = [];
  const read = (option: ValueOption<keyof Config>, raw: string, source: string) =>
    option.parse(option.readsFile ? readSecretFile(raw, source, warnings) : raw, source);
  const setBy = new Map<keyof Config, string>();
  const claim = (key: keyof Config, source: string): void => {
    const other = setBy.get(key);
    if (other !== undefined) throw new AppError('E_CONFIG', `Give only one of ${other}, ${source}.`);
    setBy.set(key, source);
  };

  for (const option of OPTIONS) {
    const given = values[option.flag];
    if (option.kind === 'switch') {
      if (given === true) apply(config, option.key, option.value);
      continue;
    }
    if (typeof given !== 'string') continue;
    const source = `\`--${option.flag}\``;
    claim(option.key, source);
    apply(config, option.key, read(option, given, source));
    if (!option.readsFile && isSecretValue(option, given)) {
      warnings.push(
        `${source} on the command line is visible to every local user (ps, /proc/<pid>/cmdline); use ${saferWays(option)} instead.`,
      );
    }
  }
  const byFlag = new Set(setBy.keys());
  for (const option of OPTIONS) {
    if (option.kind !== 'value' || option.env === undefined || byFlag.has(option.key)) continue;
    const fromEnv = env[option.env];
    if (fromEnv === undefined || fromEnv === '') continue;
    const source = `\`${option.env}\``;
    claim(option.key, source);
    apply(config, option.key, read(option, fromEnv, source));
  }
  checkTimeouts(config);
  checkEarlyRefresh(config);
  checkMaxRequests(config);
  return { help: values.help === true, config, warnings };
};

/** The environment variables that may carry a secret (or a secret's path): the primary drops them before it forks. */
export const SECRET_ENV: readonly string[] = OPTIONS.flatMap((option) =>
  option.kind === 'value' && (option.secret !== undefined || option.readsFile) && option.env !== undefined
    ? [option.env]
    : [],
);

/** The flag as --help and the README write it: `--port <n>`, `--no-keep-alive`. */
export const flagLabel = (option: Option): string =>
  option.kind === 'switch' ? `--${option.flag}` : `--${option.flag} ${option.arg}`;

export const helpText = (): string => {
  const rows: [string, string][] = [
    ...OPTIONS.map((option): [string, string] => {
      const env = option.kind === 'value' && option.env !== undefined ? `; env ${option.env}` : '';
      return [flagLabel(option), `${option.help} (default ${option.shownDefault}${env})`];
    }),
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    'cluster-state-lab: one Hono app, N worker processes, and what happens to their in-process state.',
    '',
    'Usage: npm run cluster -- [options]',
    '       cluster-state-lab [options]',
    '',
    'Options (flags beat environment variables beat defaults):',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
    'Example: npm run cluster -- --workers 4, then: curl -s http://127.0.0.1:3000/counter',
  ].join('\n');
};
