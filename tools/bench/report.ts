// BENCHMARKS.md from one BenchResult: the machine, the command, one row per route, the targets.
import { IDLE_SHRINK_AFTER_MS } from '../../src/worker/idle-shrink.js';
import { SCALING_REASONS } from './explain.js';
import { WARM_UP_REQUESTS } from './measure-route.js';
import type { BenchResult, ExactCheck, FleetComparison, RouteResult, TargetResult } from './result.js';
import { SETTLE_LIMIT_S } from './system.js';
import { whyNotMet } from './why-not-met.js';

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number | null): string => {
  if (value === null) return '—';
  if (value < 1) return '<1 ms';
  return Number.isInteger(value) ? `${integer(value)} ms` : `${value.toFixed(1)} ms`;
};

export const describeExact = (exact: ExactCheck | null): string => {
  if (exact === null) return '—';
  if (exact.exact) return `yes (${integer(exact.counted)} / ${integer(exact.ok_2xx)})`;
  const diff = exact.ok_2xx - exact.counted;
  return `no: ${integer(exact.ok_2xx)} answers, count +${integer(exact.counted)} (${diff > 0 ? `${integer(diff)} lost` : `${integer(-diff)} extra`})`;
};

/** Runs of one side further apart than this get a mark: the machine was busy with something else. */
export const NOISY_SPREAD = 0.2;

/**
 * A row where the Hono floor itself spent more than this × its usual CPU per request gets a mark:
 * the machine was slower then, for every side. Usual: the lower quartile over the routes of one
 * worker count, not the median — a slow spell can last half a step (it did on 29 November), and
 * other load can only make a run costlier, never cheaper.
 */
export const SLOW_MACHINE = 1.4;

/** The routes measured while the machine was slow, judged by the Hono floor's own CPU per request. */
export const slowMachineRoutes = (routes: readonly RouteResult[]): Set<string> => {
  const costs = routes.flatMap((route) => (route.hono_cpu_us_per_request ? [route.hono_cpu_us_per_request] : []));
  if (costs.length < 3) return new Set();
  const sorted = [...costs].sort((a, b) => a - b);
  const usual = sorted[Math.floor(sorted.length / 4)] as number;
  return new Set(
    routes.filter((route) => (route.hono_cpu_us_per_request ?? 0) > SLOW_MACHINE * usual).map((route) => route.route),
  );
};

/** ' ⚠' after a figure measured while the machine was slow (slowMachineRoutes). */
const slowMark = (route: RouteResult, slow: ReadonlySet<string>): string => (slow.has(route.route) ? ' ⚠' : '');

const ratioText = (value: number | null | undefined): string => (value == null ? '—' : value.toFixed(2));
const spreadText = (value: number | null): string =>
  value === null ? '—' : `${Math.round(value * 100)} %${value > NOISY_SPREAD ? ' ⚠' : ''}`;
const cpuRatio = (route: RouteResult): number | null =>
  route.cpu_us_per_request === null || !route.hono_cpu_us_per_request
    ? null
    : route.cpu_us_per_request / route.hono_cpu_us_per_request;

const routeRow = (route: RouteResult, slow: ReadonlySet<string>): string => {
  if (!route.available) return `| \`${route.route}\` | not available | | | | | | | | ${route.reason ?? ''} |`;
  const failures = route.non_2xx + route.errors;
  const rps = `${integer(route.requests_per_s ?? 0)}${failures > 0 ? ` (${integer(failures)} failed)` : ''}`;
  const cpu =
    route.cpu_us_per_request === null || route.baseline_cpu_us_per_request === null
      ? '—'
      : `${integer(route.cpu_us_per_request)} / ${integer(route.hono_cpu_us_per_request ?? 0)} / ${integer(route.baseline_cpu_us_per_request)}${slowMark(route, slow)}`;
  return `| \`${route.route}\` | ${rps} | ${ms(route.latency_p50_ms)} | ${ms(route.latency_p99_ms)} | ${ratioText(route.ratio)} | ${ratioText(route.hono_ratio)} | ${cpu} | ${ratioText(cpuRatio(route))} | ${spreadText(route.spread)} | ${describeExact(route.exact)} |`;
};

/** One cell of the scaling table: requests/s, p99, and the lab over each floor (req/s; CPU vs Hono). */
const scalingCell = (route: RouteResult | undefined, slow: ReadonlySet<string>): string => {
  if (route === undefined || !route.available) return '—';
  return `${integer(route.requests_per_s ?? 0)} · ${ms(route.latency_p99_ms)} · ${ratioText(route.ratio)} / ${ratioText(route.hono_ratio)} · ${ratioText(cpuRatio(route))}${slowMark(route, slow)}`;
};

/** The file counter's group commits at each worker count: where its time goes as workers are added. */
const fileCommits = (steps: BenchResult['scaling']): string[] => {
  const rows = steps.flatMap((step) => {
    const file = step.routes.find((route) => route.route === '/counter/file' && route.available);
    const stats = file?.strategy_stats;
    if (file === undefined || !stats?.commits) return [];
    const commits = stats.commits;
    const perSecond = commits / (file.runs.lab.reduce((sum, run) => sum + run.duration_s, 0) || 1);
    return [
      `| ${step.workers} | ${integer(file.requests_per_s ?? 0)} | ${integer(perSecond)} | ${((stats.batched ?? 0) / commits).toFixed(1)} | ${((stats.lock_wait_ms ?? 0) / commits).toFixed(2)} ms |`,
    ];
  });
  if (rows.length === 0) return [];
  return [
    "### The file counter's commits",
    '',
    "| workers | requests/s | commits/s (all workers) | increments per commit | from a commit's start to its batch taken in the lock |",
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    "One lock file, one commit at a time on the whole machine: requests/s = commits/s × increments per commit. From the lab's `/cluster` (`strategy_stats.file`) over its two timed runs.",
    '',
  ];
};

const scalingSection = (result: BenchResult): string[] => {
  const steps = result.scaling;
  if (steps.length === 0) return [];
  const paths = result.options.routes;
  const head = steps.map((step) => `${step.workers} worker${step.workers === 1 ? '' : 's'}`);
  // Judged once per worker count, against that count's own floors.
  const slow = steps.map((step) => slowMachineRoutes(step.routes));
  const floors = steps.map((step) => {
    const local =
      step.routes.find((route) => route.route === '/counter/local' && route.available) ??
      step.routes.find((route) => route.available);
    return local === undefined
      ? `${step.workers}: —`
      : `${step.workers} worker${step.workers === 1 ? '' : 's'}: bare ${integer(local.baseline_requests_per_s ?? 0)} req/s at ${integer(local.baseline_cpu_us_per_request ?? 0)} µs, Hono ${integer(local.hono_requests_per_s ?? 0)} req/s at ${integer(local.hono_cpu_us_per_request ?? 0)} µs`;
  });
  return [
    `## Scaling: ${steps.map((step) => step.workers).join(', ')} workers`,
    '',
    `Each cell: requests/s · p99 · × bare / × Hono (requests/s) · CPU per request × Hono. Every worker count has its own floors, started with as many workers and interleaved with each route as above; this machine has ${result.machine.cpus} cores, so past ${result.machine.cpus} workers the processes share them. ⚠: the Hono floor itself spent more than ${SLOW_MACHINE} × its usual CPU per request at that worker count (the lower quartile over the routes) — the machine was slower while that cell was measured, for all three sides: read its ratios, not its requests/s.`,
    '',
    `| route | ${head.join(' | ')} |`,
    `| --- | ${steps.map(() => '---:').join(' | ')} |`,
    ...paths.map(
      (path) =>
        `| \`${path}\` | ${steps
          .map((step, index) =>
            scalingCell(
              step.routes.find((route) => route.route === path),
              slow[index] ?? new Set(),
            ),
          )
          .join(' | ')} |`,
    ),
    '',
    `Floors, alongside \`/counter/local\`: ${floors.join('; ')}.`,
    '',
    'Why each grows that way:',
    '',
    ...paths
      .filter((path) => SCALING_REASONS[path] !== undefined)
      .map((path) => `- \`${path}\`: ${SCALING_REASONS[path]}`),
    '',
    ...fileCommits(steps),
    '### Memory',
    '',
    '| workers | RSS after start | one second after the load | idle again | after |',
    '| ---: | --- | --- | --- | ---: |',
    ...steps.map(
      ({ workers, worker_rss_mb: rss }) =>
        `| ${workers} | ${rss.idle_at_start.join(', ')} MB | ${rss.right_after_load.join(', ')} MB | ${rss.idle_after_load.join(', ')} MB | ${Math.round(rss.settled_after_s)} s |`,
    ),
    '',
    `VmRSS of each lab worker. An idle worker gives back what a load grew once it has been quiet for ${IDLE_SHRINK_AFTER_MS / 1000} s (a scavenge, then a full collection that compacts: src/worker/idle-shrink.ts); what it keeps is the code V8 compiled for the routes the load ran and its filled caches. The bench reads every second until each worker is within 10 % of its size before the load (or ${SETTLE_LIMIT_S} s passed).`,
    '',
  ];
};

/** The line printed on stderr once a route is measured. */
export const formatProgressLine = (index: number, total: number, route: RouteResult): string => {
  const head = `[${String(index).padStart(2)}/${total}] ${route.route.padEnd(21)}`;
  if (!route.available) return `${head} not available: ${route.reason}`;
  const rps = Math.round(route.requests_per_s ?? 0).toLocaleString('en-US');
  const exact =
    route.exact === null
      ? ''
      : `  exact: ${route.exact.exact ? 'yes' : 'no'} (${route.exact.counted}/${route.exact.ok_2xx})`;
  const spread = `runs differ ${Math.round((route.spread ?? 0) * 100)} %`;
  const cpu = `CPU ${Math.round(route.cpu_us_per_request ?? 0)} µs/req (Hono ${Math.round(route.hono_cpu_us_per_request ?? 0)}, bare ${Math.round(route.baseline_cpu_us_per_request ?? 0)})`;
  return `${head} ${rps.padStart(7)} req/s  p50 ${route.latency_p50_ms} ms  p99 ${route.latency_p99_ms} ms  ${route.ratio?.toFixed(2)} × bare, ${route.hono_ratio?.toFixed(2)} × Hono (${spread})  ${cpu}${exact}`;
};

const targetRow = (target: TargetResult): string =>
  `| ${target.target} | ${target.detail} | ${target.met === null ? 'not measured' : target.met ? 'met' : '**not met**'} |`;

/** Under the Targets table: what was measured about each one this run missed. */
const notMetSection = (result: BenchResult): string[] => {
  const reasons = whyNotMet(result, result.targets);
  return reasons.length === 0 ? [] : ['### Targets not met: what was measured', '', ...reasons, ''];
};

export const formatReport = (result: BenchResult): string => {
  const { machine, options } = result;
  const slow = slowMachineRoutes(result.routes);
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${result.started_at.slice(0, 16).replace('T', ' ')} UTC (${Math.round(result.elapsed_s)} s).`,
    'Every figure comes from that one run; absolute requests/s drift from machine to machine, the ratios to the',
    'two floors measured alongside much less.',
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| cores | ${machine.cpus} (${machine.cpu_model}) |`,
    `| OS | ${machine.os} |`,
    `| Node.js | ${machine.node} |`,
    `| Redis | ${machine.redis ?? 'no redis-server on PATH'} |`,
    `| load average at start | ${machine.load_average_at_start.join(' ')} |`,
    '',
    '## Command',
    '',
    '```sh',
    result.command,
    '```',
    '',
    `- lab: \`${result.lab.command}\``,
    `- framework floor: \`${result.hono.command}\` — the smallest Hono app on @hono/node-server that answers \`/counter\` with the lab's \`/counter/local\` body and headers, and \`/user/lru/:id\` with its warm \`/user/lru/:id\` body (an lru-cache hit).`,
    `- platform floor ("bare"): \`${result.baseline.command}\` — a node:http cluster, no framework, the same bodies and headers (a Map for the users).`,
    "- which floor route: a counter route is compared with the floors' `/counter`, a user route with their `/user/lru/:id` over the same five ids, so every side gets the same pattern of requests on each connection (autocannon cycling over five paths costs the server more per request than one path does).",
    `- load: autocannon in its own process, ${options.connections} keep-alive connections, ${options.duration_s} s per measurement. Each route is measured A B C C B A (bare, Hono, lab, lab, Hono, bare), so a drift of the machine weighs on every side alike; requests/s is a side's better run (other processes can only slow a run down) and each ratio compares better runs of the same six.`,
    '- runs differ: how far apart the two runs of a side were (of the better one), the widest of the three sides; ⚠ above 20 %, when something else on the machine took CPU and the figures on that row deserve a second run.',
    "- p50 / p99: autocannon's latency percentiles in whole milliseconds, from the lab's better run.",
    `- CPU µs/req: CPU time (user + system, from /proc/<pid>/stat) the server's processes spent per answered request, mean of a side's two runs — the lab's primary, workers and the bench's redis-server; each floor's primary and workers. Other load on the machine moves it less than requests/s, so the targets on the lab's own overhead are judged on it. ⚠ after it: the Hono floor spent more than ${SLOW_MACHINE} × its usual CPU per request (the lower quartile over the routes) (the machine was slower then; this shared 2-core machine has such spells, and they slow every side alike).`,
    `- exact: after the timed runs, autocannon sends exactly ${result.routes.find((route) => route.exact !== null)?.exact?.requests ?? 'N'} requests (amount mode: every request gets its answer, no socket is cut at a deadline) and the counter must move by the number of 2xx answers. Per-worker counters are summed from \`/cluster\`.`,
    `- warm: before a route's timed runs, each side answers ${WARM_UP_REQUESTS.toLocaleString('en-US')} requests that are not measured, so that V8 has optimised what the route runs; user routes are warm too: ids 1–5 are cached in every worker first, and autocannon cycles over them.`,
    '',
    `## Results at ${result.lab.workers} workers`,
    '',
    '| route | requests/s | p50 | p99 | × bare | × Hono | CPU µs/req lab / Hono / bare | CPU × Hono | runs differ | exact |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.routes.map((route) => routeRow(route, slow)),
    '',
    ...scalingSection(result),
    '## Targets',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    ...result.targets.map(targetRow),
    '',
    ...notMetSection(result),
  ];
  const file = result.file_comparison;
  if (file !== null) {
    lines.push(
      `## \`/counter/file\` against one lock per increment (${file.workers} workers, ${file.connections} concurrent)`,
      '',
      '| | increments/s | exact |',
      '| --- | ---: | --- |',
      `| lab \`/counter/file\`, ${file.workers} workers × ${file.connections} connections | ${integer(file.lab.requests_per_s)} | ${describeExact(file.lab_exact)} |`,
      `| naive counter, ${file.lockfile.processes} processes × ${file.lockfile.concurrency} concurrent loops in all | ${file.lockfile.increments_per_s.toLocaleString('en-US', { maximumFractionDigits: 1 })} | ${integer(file.lockfile.increments)} counted in the window, file at ${integer(file.lockfile.final_count)} after |`,
      '',
      `The naive counter (tools/bench/lockfile-counter.ts) takes ${file.lockfile.lock_options}.`,
      '',
    );
  }
  const fleet = result.fleet_comparison;
  if (fleet !== null) {
    const row = (side: FleetComparison['cluster']): string =>
      `| ${side.label} | ${integer(side.requests_per_s)} | ${ms(side.latency_p50_ms)} | ${ms(side.latency_p99_ms)} | ${side.cpu_us_per_request === null ? '—' : integer(side.cpu_us_per_request)} | ${describeExact(side.exact)} |`;
    lines.push(
      `## \`${fleet.route}\` through HAProxy (${fleet.connections} connections)`,
      '',
      '| | requests/s | p50 | p99 | CPU µs/req | exact |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      row(fleet.cluster),
      row(fleet.fleet),
      '',
      `Through HAProxy ${fleet.haproxy}: ${fleet.ratio === null ? '—' : `${fleet.ratio.toFixed(2)} ×`} the requests/s of one cluster with as many workers (the better of two runs each, A B A B; runs differ ${Math.round(fleet.spread * 100)} %${fleet.spread > NOISY_SPREAD ? ' ⚠' : ''}). The same Redis work on both sides: the difference is the extra hop (HAProxy parses and forwards every request) and a second primary. CPU counts every process that serves the requests, HAProxy included.`,
      '',
    );
  }
  if (result.four_workers !== null) {
    lines.push(
      `The lab at 4 workers was ready in ${result.four_workers.ready_ms} ms (its banner); its idle workers held ${result.four_workers.worker_rss_mb_idle.join(', ')} MB (VmRSS).`,
      '',
    );
  }
  if (result.notes.length > 0) lines.push('## Notes', '', ...result.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
};
