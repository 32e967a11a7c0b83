// `npm run fleet -- [options] [-- <lab options>]`: validated once, one line naming the flag on a bad
// value (exit code 2). The Redis URL is read by the lab's own option code (flag, file or variable),
// so a password in it is handled exactly as the lab handles it, warnings included.
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { parseChoice, parseFlags, parseIntegerValue } from '../../src/config-parsers.js';
import { AppError, echo } from '../../src/errors.js';
import { HOST_SHUTDOWN_DELAY_MS } from './haproxy-config.js';

export const BALANCES = ['roundrobin', 'leastconn', 'source', 'sticky'] as const;
export type Balance = (typeof BALANCES)[number];

export interface FleetOptions {
  /** Lab clusters behind the balancer, named host-1 … host-N. @default 2 */
  hosts: number;
  /** Workers per host. @default 2 */
  workers: number;
  /**
   * The balancer's port; host N listens on port + N (so host-1 of the default fleet is on 3001).
   * 0: every port is a free one picked at start. @default 3000
   */
  port: number;
  /** Where the balancer listens. @default '127.0.0.1' */
  bind: string;
  /** How HAProxy picks a host; `sticky` is round robin plus an inserted cookie. @default 'roundrobin' */
  balance: Balance;
  /** Redis for every host; null: a private redis-server the fleet starts (or none without one on PATH). */
  redisUrl: string | null;
  /** Host N's data dir is `<dataDir>/host-N` (its own disk); a private Redis keeps its files in `<dataDir>/redis`. @default ./.data/fleet */
  dataDir: string;
  logFormat: 'text' | 'json';
  /** Print HAProxy's configuration and exit. */
  printConfig: boolean;
  /** More lab options for every host (`-- --db-delay-ms 50`). */
  labArgs: string[];
  /**
   * Every host's --shutdown-delay-ms: long enough for HAProxy's checks to take a stopping host out
   * (HOST_SHUTDOWN_DELAY_MS), unless given after `--` (`-- --shutdown-delay-ms 0`: a plain SIGTERM).
   */
  hostShutdownDelayMs: number;
  /** Warnings from reading the options (a secret on the command line). */
  warnings: string[];
}

export interface ParsedFleetArgs {
  help: boolean;
  options: FleetOptions;
}

export const DEFAULT_FLEET_PORT = 3000;

/** Lab options the fleet sets for each host itself: given after `--` they would fight it. */
const FLEET_OWNED_LAB_FLAGS: Record<string, string> = {
  '--port': 'the fleet gives each host its port (--port of the fleet sets the first)',
  '--host': 'hosts listen on 127.0.0.1 behind the balancer (--host of the fleet sets where it listens)',
  '--workers': 'use --workers of the fleet',
  '--instance': 'hosts are named host-1 … host-N',
  '--data-dir': 'use --data-dir of the fleet (each host gets <dir>/host-N)',
  '--redis-url': 'use --redis-url of the fleet (one Redis for every host)',
  '--redis-url-file': 'use --redis-url-file of the fleet',
  '--log-format': 'use --log-format of the fleet',
};

const checkLabArgs = (labArgs: readonly string[]): void => {
  for (const arg of labArgs) {
    const flag = arg.split('=')[0] ?? arg;
    const why = FLEET_OWNED_LAB_FLAGS[flag];
    if (why !== undefined) {
      throw new AppError('E_CONFIG', `\`${echo(flag)}\` after \`--\` is set by the fleet for each host: ${why}.`);
    }
  }
};

/** A --shutdown-delay-ms among the lab options (the last one, as the lab reads it), checked by the lab's own table. */
const labShutdownDelay = (labArgs: readonly string[]): number | null => {
  for (let index = labArgs.length - 1; index >= 0; index -= 1) {
    const arg = labArgs[index] ?? '';
    if (arg === '--shutdown-delay-ms' || arg.startsWith('--shutdown-delay-ms=')) {
      const argv = arg.includes('=') ? [arg] : labArgs.slice(index, index + 2);
      return loadConfig(argv, {}).config.shutdownDelayMs;
    }
  }
  return null;
};

const parseBind = (raw: string): string => {
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(raw)) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--host\` to be an address such as 127.0.0.1 or 0.0.0.0, got \`${echo(raw)}\`.`,
    );
  }
  return raw;
};

/** Parse the fleet's argv; `env` gives REDIS_URL / REDIS_URL_FILE (flags beat them, as in the lab). */
export const parseFleetArgs = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedFleetArgs => {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const labArgs = split === -1 ? [] : argv.slice(split + 1);
  const { values } = parseFlags(own, {
    help: { type: 'boolean', short: 'h' },
    hosts: { type: 'string' },
    workers: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    balance: { type: 'string' },
    'redis-url': { type: 'string' },
    'redis-url-file': { type: 'string' },
    'data-dir': { type: 'string' },
    'log-format': { type: 'string' },
    'print-config': { type: 'boolean' },
  });
  checkLabArgs(labArgs);
  const redisArgv = [
    ...(typeof values['redis-url'] === 'string' ? ['--redis-url', values['redis-url']] : []),
    ...(typeof values['redis-url-file'] === 'string' ? ['--redis-url-file', values['redis-url-file']] : []),
  ];
  // Only the Redis settings, so that nothing else of the user's environment (PORT, WEB_CONCURRENCY…) is read here.
  const redisEnv = { REDIS_URL: env.REDIS_URL, REDIS_URL_FILE: env.REDIS_URL_FILE };
  const { config: redisConfig, warnings } = loadConfig(redisArgv, redisEnv);
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : '.data/fleet';
  if (dataDir.trim() === '') throw new AppError('E_CONFIG', 'Expected `--data-dir` to be a directory path, got ``.');
  return {
    help: values.help === true,
    options: {
      hosts: typeof values.hosts === 'string' ? parseIntegerValue(values.hosts, '`--hosts`', 1, 16) : 2,
      workers: typeof values.workers === 'string' ? parseIntegerValue(values.workers, '`--workers`', 1, 64) : 2,
      port: typeof values.port === 'string' ? parseIntegerValue(values.port, '`--port`', 0, 65535) : DEFAULT_FLEET_PORT,
      bind: typeof values.host === 'string' ? parseBind(values.host) : '127.0.0.1',
      balance: typeof values.balance === 'string' ? parseChoice(values.balance, '`--balance`', BALANCES) : 'roundrobin',
      redisUrl: redisConfig.redisUrl,
      dataDir: resolve(dataDir),
      logFormat:
        typeof values['log-format'] === 'string'
          ? parseChoice(values['log-format'], '`--log-format`', ['text', 'json'] as const)
          : 'text',
      printConfig: values['print-config'] === true,
      labArgs: [...labArgs],
      hostShutdownDelayMs: labShutdownDelay(labArgs) ?? HOST_SHUTDOWN_DELAY_MS,
      warnings,
    },
  };
};

/** Ports the hosts listen on: the balancer's + 1 … + N, or free ones (null) with --port 0. */
export const hostPorts = ({ port, hosts }: Pick<FleetOptions, 'port' | 'hosts'>): (number | null)[] =>
  Array.from({ length: hosts }, (_, index) => (port === 0 ? null : port + index + 1));

export const checkPortRange = ({ port, hosts }: Pick<FleetOptions, 'port' | 'hosts'>): void => {
  if (port !== 0 && port + hosts > 65535) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--port\` to leave room for ${hosts} host port(s) after it (host N listens on port + N), got \`${port}\`.`,
    );
  }
};

export const fleetHelpText = (): string =>
  [
    'cluster-state-lab fleet: several lab clusters ("hosts") behind HAProxy, one Redis.',
    '',
    'Usage: npm run fleet -- [options] [-- <lab options for every host>]',
    '',
    'Options:',
    '  --hosts <n>              lab clusters, named host-1 … host-N, 1-16 (default 2)',
    '  --workers <n>            workers per host, 1-64 (default 2)',
    `  --port <n>               HAProxy's port; host N listens on port + N; 0 picks free ports (default ${DEFAULT_FLEET_PORT})`,
    '  --host <addr>            where HAProxy listens; 0.0.0.0 lets a classroom in (default 127.0.0.1)',
    `  --balance <name>         ${BALANCES.join(', ')} (default roundrobin); sticky = round robin + a SERVERID cookie`,
    '  --redis-url <url>        one Redis for every host (env REDIS_URL); default: a private redis-server',
    '  --redis-url-file <path>  the same, read from a file (env REDIS_URL_FILE)',
    '  --data-dir <path>        host N keeps its files in <path>/host-N (default ./.data/fleet)',
    '  --log-format <fmt>       text or json; json logs a ready event for tools (default text)',
    '  --print-config           print the HAProxy configuration the fleet would write, and exit',
    '  -h, --help               show this help',
    '',
    'After --, lab options for every host, e.g. `-- --db-delay-ms 50 --admin-token-file token`.',
    `Hosts get --shutdown-delay-ms ${HOST_SHUTDOWN_DELAY_MS}, so HAProxy's checks take a stopping host out first; \`-- --shutdown-delay-ms 0\` for a plain SIGTERM.`,
    'GET /fleet (JSON) and /fleet/dashboard (a page) answer through the same port.',
  ].join('\n');
