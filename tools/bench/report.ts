// BENCHMARKS.md from one BenchResult: the machine, the command, one row per route, the targets.
import type { BenchResult, ExactCheck, FleetComparison, RouteResult, TargetResult } from './result.js';

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

const routeRow = (route: RouteResult): string => {
  if (!route.available) return `| \`${route.route}\` | not available | | | | | | | ${route.reason ?? ''} |`;
  const failures = route.non_2xx + route.errors;
  const rps = `${integer(route.requests_per_s ?? 0)}${failures > 0 ? ` (${integer(failures)} failed)` : ''}`;
  const ratio = route.ratio === null ? '—' : route.ratio.toFixed(2);
  const spread =
    route.spread === null ? '—' : `${Math.round(route.spread * 100)} %${route.spread > NOISY_SPREAD ? ' ⚠' : ''}`;
  const cpu =
    route.cpu_us_per_request === null || route.baseline_cpu_us_per_request === null
      ? '—'
      : `${integer(route.cpu_us_per_request)} / ${integer(route.baseline_cpu_us_per_request)}`;
  const baseline = route.baseline_requests_per_s === null ? '—' : integer(route.baseline_requests_per_s);
  return `| \`${route.route}\` | ${rps} | ${ms(route.latency_p50_ms)} | ${ms(route.latency_p99_ms)} | ${baseline} | ${ratio} | ${spread} | ${cpu} | ${describeExact(route.exact)} |`;
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
  const cpu = `CPU ${Math.round(route.cpu_us_per_request ?? 0)} µs/req (baseline ${Math.round(route.baseline_cpu_us_per_request ?? 0)})`;
  return `${head} ${rps.padStart(7)} req/s  p50 ${route.latency_p50_ms} ms  p99 ${route.latency_p99_ms} ms  ${route.ratio?.toFixed(2)} × baseline (${spread})  ${cpu}${exact}`;
};

const targetRow = (target: TargetResult): string =>
  `| ${target.target} | ${target.detail} | ${target.met === null ? 'not measured' : target.met ? 'met' : '**not met**'} |`;

export const formatReport = (result: BenchResult): string => {
  const { machine, options } = result;
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${result.started_at.slice(0, 16).replace('T', ' ')} UTC (${Math.round(result.elapsed_s)} s).`,
    'Every figure comes from that one run; absolute requests/s drift from machine to machine, the ratios to the',
    'baseline measured alongside much less.',
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
    `- baseline: \`${result.baseline.command}\` — a bare node:http cluster whose \`/counter\` increments a module variable and answers the lab's JSON and headers.`,
    `- load: autocannon in its own process, ${options.connections} keep-alive connections, ${options.duration_s} s per measurement. Each route is measured A B A B (baseline, lab, baseline, lab); requests/s is the lab's better run and the ratio is that over the baseline's better run of the same four. Other processes can only slow a run down, so the better run is the nearer to what the code can do.`,
    '- runs differ: how far apart the two runs of a side were (of the better one); ⚠ above 20 %, when something else on the machine took CPU and the figures on that row deserve a second run.',
    "- p50 / p99: autocannon's latency percentiles in whole milliseconds, from the lab's better run.",
    "- CPU µs/req: CPU time (user + system, from /proc/<pid>/stat) the server's processes spent per answered request, mean of a side's two runs — the lab's primary, workers and the bench's redis-server; the baseline's primary and workers. Other load on the machine moves it less than requests/s (it still inflates it: shared caches, preemption), so it is the steadier view of what each strategy costs.",
    `- exact: after the timed runs, autocannon sends exactly ${result.routes.find((route) => route.exact !== null)?.exact?.requests ?? 'N'} requests (amount mode: every request gets its answer, no socket is cut at a deadline) and the counter must move by the number of 2xx answers. Per-worker counters are summed from \`/cluster\`.`,
    `- user routes are warm: ids 1–5 are cached in every worker first, and autocannon cycles over them.`,
    '',
    '## Results',
    '',
    `Baseline (bare node:http, \`/counter\`): ${result.baseline.requests_per_s === null ? '—' : integer(result.baseline.requests_per_s)} requests/s on average over all its runs; each row compares with the better of its own two baseline runs.`,
    '',
    '| route | requests/s | p50 | p99 | baseline requests/s | × baseline | runs differ | CPU µs/req lab / baseline | exact |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.routes.map(routeRow),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    ...result.targets.map(targetRow),
    '',
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
