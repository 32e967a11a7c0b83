// The hammer's text output: number formats, bars, aligned tables, and the whole report as text.
import type { HammerReport, InstanceReport } from './report.js';

const NUMBER = new Intl.NumberFormat('en-US');
/** 1234 → "1,234". */
export const formatNumber = (value: number): string => NUMBER.format(value);
/** 1 of 4 → "25.0%". */
export const percent = (part: number, whole: number): string =>
  `${whole === 0 ? '0.0' : ((part * 100) / whole).toFixed(1)}%`;
/** 1 → "1 request", 2 → "2 requests". */
export const plural = (count: number, word: string): string =>
  `${formatNumber(count)} ${word}${count === 1 ? '' : 's'}`;

const BAR_WIDTH = 20;
/** A share (0-1) as a fixed-width bar: "█████░░░░░…". */
export const formatBar = (share: number, width = BAR_WIDTH): string => {
  const filled = Math.max(0, Math.min(width, Math.round(share * width)));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
};

/** Columns padded to their widest cell; `right` columns are right-aligned (numbers). */
export const formatTable = (
  header: readonly string[],
  rows: readonly string[][],
  right: ReadonlySet<number>,
): string[] => {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        right.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
};

const formatSources = (sources: Record<string, number>): string =>
  Object.entries(sources)
    .map(([source, count]) => `${source} ${formatNumber(count)}`)
    .join(', ');

const instanceSection = (report: HammerReport, instance: InstanceReport): string[] => {
  const workers = report.workers.filter((worker) => worker.instance === instance.instance);
  const answered = workers.reduce((total, worker) => total + worker.requests, 0);
  const statuses = Object.entries(instance.statuses).map(([status, count]) => `${status} ×${formatNumber(count)}`);
  const errors = Object.entries(instance.errors).map(([code, count]) => `${code} ×${formatNumber(count)}`);
  const lines = [
    `instance ${instance.instance}  ${instance.url}`,
    `  ${plural(instance.requests, 'request')}: ${formatNumber(instance.ok)} ok, ${formatNumber(instance.failed)} failed` +
      (statuses.length + errors.length > 0 ? `  (${[...statuses, ...errors].join(', ')})` : ''),
  ];
  if (workers.length === 0) return [...lines, '  no worker answered'];
  const counters = instance.counted > 0;
  const sources = workers.some((worker) => Object.keys(worker.sources).length > 0);
  // Several clusters behind one URL (a balancer): name each worker's cluster.
  const names = new Set(report.workers.map((worker) => worker.name)).size > 1;
  // A per-worker counter measured on /cluster: what each worker held before and after the run.
  const held = workers.some((worker) => worker.before !== null || worker.after !== null);
  const header = [
    ...(names ? ['cluster'] : []),
    'worker',
    'pid',
    'requests',
    ...(counters ? ['first', 'last'] : []),
    ...(held ? ['before', 'after'] : []),
    'share',
    '',
  ];
  if (sources) header.push('sources');
  const shareColumn = header.indexOf('share');
  const rows = workers.map((worker) => [
    ...(names ? [worker.name ?? '?'] : []),
    worker.id === null ? '?' : String(worker.id),
    worker.pid === null ? '?' : String(worker.pid),
    formatNumber(worker.requests),
    ...(counters
      ? [
          worker.first === null ? '-' : formatNumber(worker.first),
          worker.last === null ? '-' : formatNumber(worker.last),
        ]
      : []),
    ...(held
      ? [
          worker.before === null ? '-' : formatNumber(worker.before),
          worker.after === null ? (worker.before === null ? '-' : 'died') : formatNumber(worker.after),
        ]
      : []),
    formatBar(worker.share),
    percent(worker.requests, answered),
    ...(sources ? [formatSources(worker.sources)] : []),
  ]);
  const first = names ? 1 : 0;
  const right = new Set([
    first,
    first + 1,
    first + 2,
    ...(counters ? [first + 3, first + 4] : []),
    ...(held ? [shareColumn - 2, shareColumn - 1] : []),
    shareColumn + 1,
  ]);
  return [...lines, ...formatTable(header, rows, right).map((row) => `  ${row}`)];
};

/** The whole text report: one table per instance, the verdict, then throughput and latency. */
export const formatReport = (report: HammerReport): string => {
  const mode = report.keep_alive ? 'kept-alive connections' : 'a new connection per request';
  const latency = report.latency_ms;
  const lines: string[] = [];
  for (const instance of report.instances) lines.push(...instanceSection(report, instance), '');
  lines.push(...report.verdict);
  lines.push(
    `${plural(report.requests, 'request')} in ${(report.elapsed_ms / 1000).toFixed(2)} s: ${formatNumber(Math.round(report.rps))} req/s` +
      (latency === null
        ? ''
        : `, latency p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`) +
      ` (${mode}, concurrency ${report.concurrency}).`,
  );
  if (report.interrupted) lines.push('Stopped early by Ctrl-C: these are the answers that came before it.');
  return lines.join('\n');
};
