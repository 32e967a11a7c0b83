// The hammer's command line: URLs as positionals, a few flags, every value validated here, once.
// A bad one is an AppError('E_CONFIG') naming the flag, what it accepts and what it got.
import { parseFlags, parseIntegerValue } from '../../src/config-parsers.js';
import { AppError, echo } from '../../src/errors.js';
import { MAX_DURATION_MS, MAX_REQUESTS } from './load.js';

export const DEFAULT_REQUESTS = 1000;
export const DEFAULT_CONCURRENCY = 10;
/** Sockets in flight at once; more would run into the usual 1024 open-file limit. */
export const MAX_CONCURRENCY = 1000;
const MAX_DURATION_S = MAX_DURATION_MS / 1000;
const MIN_DURATION_S = 0.1;
const MAX_URLS = 64;

export interface HammerArgs {
  urls: string[];
  /** Absent when only a duration bounds the run. */
  requests?: number;
  durationMs?: number;
  concurrency: number;
  keepAlive: boolean;
  json: boolean;
  help: boolean;
}

const OPTIONS = {
  requests: { type: 'string', short: 'n' },
  concurrency: { type: 'string', short: 'c' },
  duration: { type: 'string', short: 'd' },
  'keep-alive': { type: 'boolean', short: 'k' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

// parseArgs refuses `-n -5` as "ambiguous"; joining flag and value lets the range check below say
// what is wrong with `-5` instead.
const VALUE_FLAGS = new Map<string, string>(
  Object.entries(OPTIONS).flatMap(([name, option]) =>
    option.type === 'string' ? [[`--${name}`, name] as const, [`-${option.short}`, name] as const] : [],
  ),
);
const joinDashValues = (argv: readonly string[]): string[] => {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (arg === '--') return [...joined, ...argv.slice(index)];
    const name = VALUE_FLAGS.get(arg);
    const value = argv[index + 1];
    if (name !== undefined && value?.startsWith('-') && value !== '--') {
      joined.push(`--${name}=${value}`);
      index += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
};

const parseInteger = (flag: string, raw: string, min: number, max: number): number =>
  parseIntegerValue(raw, `\`${flag}\``, min, max);

const parseSeconds = (flag: string, raw: string): number => {
  const value = /^\d{1,7}(\.\d{1,3})?$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!(value >= MIN_DURATION_S && value <= MAX_DURATION_S)) {
    throw new AppError(
      'E_CONFIG',
      `Expected \`${flag}\` to be a number of seconds from ${MIN_DURATION_S} to ${MAX_DURATION_S}, got \`${echo(raw)}\`.`,
    );
  }
  return Math.round(value * 1000);
};

const parseUrl = (raw: string): string => {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new AppError(
      'E_CONFIG',
      `Expected each URL to be an http:// or https:// URL such as http://127.0.0.1:3000/counter, got \`${echo(raw)}\`.`,
    );
  }
  return url.href;
};

/** Parse and validate the hammer's argv (without `node script`). */
export const parseHammerArgs = (argv: readonly string[]): HammerArgs => {
  const { values, positionals } = parseFlags(joinDashValues(argv), OPTIONS, { allowPositionals: true });
  const help = values.help === true;
  const requests =
    typeof values.requests === 'string' ? parseInteger('--requests', values.requests, 1, MAX_REQUESTS) : undefined;
  const concurrency =
    typeof values.concurrency === 'string'
      ? parseInteger('--concurrency', values.concurrency, 1, MAX_CONCURRENCY)
      : DEFAULT_CONCURRENCY;
  const durationMs = typeof values.duration === 'string' ? parseSeconds('--duration', values.duration) : undefined;
  if (positionals.length > MAX_URLS) {
    throw new AppError('E_CONFIG', `Expected at most ${MAX_URLS} URLs, got ${positionals.length}.`);
  }
  const urls = positionals.map(parseUrl);
  if (urls.length === 0 && !help) {
    throw new AppError(
      'E_CONFIG',
      'Expected at least one URL, as in: npm run hammer -- http://127.0.0.1:3000/counter -n 1000 -c 50.',
    );
  }
  return {
    urls,
    // Neither bound given: a fixed count. Only a duration: as many requests as fit in it.
    requests: requests ?? (durationMs === undefined ? DEFAULT_REQUESTS : undefined),
    durationMs,
    concurrency,
    keepAlive: values['keep-alive'] === true,
    json: values.json === true,
    help,
  };
};

/** What `--help` prints, the definitions of the counter arithmetic included. */
export const hammerHelpText = (): string =>
  [
    'hammer: send HTTP requests to one or more cluster-state-lab instances, then show which worker',
    'served what, what each counter ended at, and where cached answers came from.',
    '',
    'Usage: npm run hammer -- <url> [<url>...] [options]',
    '',
    'Options:',
    `  -n, --requests <n>     requests to send (1-${MAX_REQUESTS}; default ${DEFAULT_REQUESTS},`,
    '                         or as many as fit in --duration when only that is given)',
    `  -c, --concurrency <n>  requests in flight at once (1-${MAX_CONCURRENCY}; default ${DEFAULT_CONCURRENCY})`,
    `  -d, --duration <s>     stop after this many seconds (${MIN_DURATION_S}-${MAX_DURATION_S}); with -n, whichever comes first`,
    '  -k, --keep-alive       reuse connections, as a browser does: each of the -c lanes keeps one',
    '                         connection per host, and it stays with the worker it landed on.',
    "                         Default: a new connection per request, so that node:cluster's round",
    '                         robin picks a worker for every request',
    '      --json             print one JSON object on stdout instead of the tables',
    '  -h, --help             show this help',
    '',
    'Several URLs are several instances (clusters) of the same route: requests go to them in turn',
    'and the table groups workers by instance.',
    '',
    'Counter routes (answers that carry current_count), judged by src/verdict.ts, as the dashboard does:',
    "  Before the run the hammer reads each cluster's /cluster (what every worker and every store holds),",
    '  after it the same again (until two readings agree), then:',
    '  expected   = the 2xx answers that carried a current_count',
    "  true total = what the counter's storage gained (per cluster for ipc and file, once for one Redis),",
    "               or, for a per-worker counter, what each worker's count gained, added up",
    '  lost       = expected - true total (what died with a worker is named apart from what races',
    '               overwrote; negative: something else counted too)',
    '  largest answer seen = the largest current_count over the baseline of the worker (or store) that',
    '               gave it: what a client would believe. Workers that died during the run are named with',
    '               what they held at their last report to their primary.',
    '  Without a readable /cluster (an older lab, another server) the hammer says so and guesses from the',
    '  answers alone: expected = (lowest - 1) + answers, lost = expected - largest.',
    '',
    'User routes (answers that carry source): answers per source, in total and per worker.',
    '',
    'Non-2xx answers and connection errors are counted and shown, by status and by error code.',
    'Ctrl-C stops sending, waits for the requests in flight, and prints the report (twice: quit now).',
    'Exit code: 0 when the run ends, failures and Ctrl-C included; 2 for a bad flag; 130 when a',
    'second Ctrl-C quits without a report.',
    '',
    'Example: npm run hammer -- http://127.0.0.1:3000/counter -n 1000 -c 50',
  ].join('\n');
