import { parseFlags } from '../../src/config-parsers.js';
import { AppError, echo } from '../../src/errors.js';
import { ROUTE_PATHS } from './routes.js';

export interface BenchOptions {
  /** Worker processes of both the lab and the baseline. @default 2 */
  workers: number;
  /** autocannon connections, kept open (keep-alive) for a whole measurement. @default 50 */
  connections: number;
  /** Length of one measurement, in seconds; every route is measured A B A B. @default 3 */
  durationS: number;
  /** Routes to measure, in the order given. @default every route */
  routes: string[];
  /** Print the whole result as JSON on stdout. @default false */
  json: boolean;
  /** Where the markdown table goes. @default 'BENCHMARKS.md' */
  out: string;
  /** Worker counts every route is measured at; `workers` is always among them. @default [1, 2, 4] */
  scaling: number[];
}

export const DEFAULT_BENCH_OPTIONS: Readonly<BenchOptions> = {
  workers: 2,
  connections: 50,
  durationS: 2,
  routes: [...ROUTE_PATHS],
  json: false,
  out: 'BENCHMARKS.md',
  scaling: [1, 2, 4],
};

const parseScaling = (raw: string): number[] => {
  const counts = raw.split(',').map((part) => part.trim());
  const parsed = counts.map((part) => (/^\d{1,2}$/.test(part) ? Number(part) : Number.NaN));
  if (counts.length === 0 || parsed.some((count) => !Number.isInteger(count) || count < 1 || count > 64)) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--scaling\` to be a comma-separated list of worker counts from 1 to 64, got \`${echo(raw)}\`.`,
    );
  }
  return parsed;
};

const parseNumber = (flag: string, raw: string, min: number, max: number, integer: boolean): number => {
  const pattern = integer ? /^\d{1,7}$/ : /^\d{1,7}(\.\d{1,3})?$/;
  const value = pattern.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    const kind = integer ? 'an integer' : 'a number of seconds';
    throw new AppError('E_CONFIG', `Expected \`--${flag}\` to be ${kind} from ${min} to ${max}, got \`${echo(raw)}\`.`);
  }
  return value;
};

const parseRoutes = (raw: string): string[] => {
  const routes = raw
    .split(',')
    .map((route) => route.trim())
    .filter((route) => route !== '');
  const unknown = routes.find((route) => !(ROUTE_PATHS as readonly string[]).includes(route));
  if (routes.length === 0 || unknown !== undefined) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`--routes\` to be a comma-separated list of ${ROUTE_PATHS.join(', ')}, got \`${echo(unknown ?? raw)}\`.`,
    );
  }
  return [...new Set(routes)];
};

export interface ParsedBenchArgs {
  help: boolean;
  options: BenchOptions;
}

/** `npm run bench -- [flags]`: validated once, one line naming the flag on a bad value. */
export const parseBenchArgs = (argv: readonly string[]): ParsedBenchArgs => {
  const { values } = parseFlags(argv, {
    help: { type: 'boolean', short: 'h' },
    json: { type: 'boolean' },
    workers: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    routes: { type: 'string' },
    out: { type: 'string' },
    scaling: { type: 'string' },
  });
  const options: BenchOptions = { ...DEFAULT_BENCH_OPTIONS, routes: [...DEFAULT_BENCH_OPTIONS.routes] };
  if (typeof values.workers === 'string') options.workers = parseNumber('workers', values.workers, 1, 64, true);
  if (typeof values.connections === 'string') {
    options.connections = parseNumber('connections', values.connections, 1, 1000, true);
  }
  if (typeof values.duration === 'string')
    options.durationS = parseNumber('duration', values.duration, 0.5, 600, false);
  if (typeof values.routes === 'string') options.routes = parseRoutes(values.routes);
  if (typeof values.out === 'string') {
    if (values.out.trim() === '') throw new AppError('E_CONFIG', 'Expected `--out` to be a file path, got ``.');
    options.out = values.out;
  }
  if (typeof values.scaling === 'string') options.scaling = parseScaling(values.scaling);
  // The main table's worker count is always measured; the counts in ascending order, once each.
  options.scaling = [...new Set([...options.scaling, options.workers])].sort((a, b) => a - b);
  options.json = values.json === true;
  return { help: values.help === true, options };
};

export const benchHelpText = (): string =>
  [
    'cluster-state-lab bench: requests/s, latency and CPU per request of every state strategy, next to a bare',
    'node:http cluster (the platform floor) and a minimal Hono app (the framework floor), at 1, 2 and 4 workers.',
    '',
    'Usage: npm run bench -- [options]',
    '',
    'Options:',
    `  --workers <n>       worker count of the main table (default ${DEFAULT_BENCH_OPTIONS.workers}; added to --scaling)`,
    `  --connections <n>   autocannon keep-alive connections (default ${DEFAULT_BENCH_OPTIONS.connections})`,
    `  --duration <s>      seconds per measurement; each route is measured A B C C B A (default ${DEFAULT_BENCH_OPTIONS.durationS})`,
    `  --scaling <list>    worker counts every route is measured at (default ${DEFAULT_BENCH_OPTIONS.scaling.join(',')})`,
    '  --routes <list>     comma-separated routes to measure (default all):',
    `                      ${ROUTE_PATHS.join(',')}`,
    '  --json              print the full result as JSON on stdout',
    `  --out <file>        where the markdown report goes (default ${DEFAULT_BENCH_OPTIONS.out})`,
    '  -h, --help          show this help',
  ].join('\n');
