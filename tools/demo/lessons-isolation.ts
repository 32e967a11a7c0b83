// Lessons 1-4: one process vs several, how the load balancer spreads connections (not requests),
// and the lost update that a lock exists for. Every figure printed is measured in this run.
import { randomBytes } from 'node:crypto';
import { formatNumber, formatTable } from '../hammer/text.js';
import { requestJson } from '../lib/http-json.js';
import { byWorker, hammer, hammerJudged, type Stage, type WorkerLine } from './stage.js';

export interface Lesson {
  number: number;
  title: string;
  run(stage: Stage, out: (line?: string) => void): Promise<void>;
}

export const workerTable = (lines: readonly WorkerLine[], countTitle = 'its counter'): string[] =>
  formatTable(
    ['worker', 'pid', 'requests', countTitle],
    lines.map((line) => [String(line.id), String(line.pid), formatNumber(line.requests), formatNumber(line.maxCount)]),
    new Set([0, 1, 2, 3]),
  ).map((row) => `  ${row}`);

const REQUESTS = 400;

export const isolationLessons: Lesson[] = [
  {
    number: 1,
    title: 'One worker: the counter is exact',
    async run(stage, out) {
      const lab = await stage.startLab([], 1);
      const { ok } = await hammer(`${lab.url}/counter`, 100, 10);
      await stage.stopLab(lab);
      const lines = byWorker(ok);
      const final = Math.max(0, ...lines.map((line) => line.maxCount));
      out('100 requests to /counter, 10 at a time, on a 1-worker cluster:');
      for (const row of workerTable(lines)) out(row);
      out();
      out(`One process holds one copy of the variable: ${formatNumber(ok.length)} answers, final count ${final}.`);
      out('So far this is what a single-process dev server shows, and why the bug hides until production.');
    },
  },
  {
    number: 2,
    title: 'Four workers: one counter each, none of them right',
    async run(stage, out) {
      const lab = await stage.startLab();
      const { ok, verdict } = await hammerJudged(lab, '/counter', REQUESTS, 20);
      await stage.stopLab(lab);
      const lines = byWorker(ok);
      out(`${REQUESTS} requests to /counter on ${stage.workers} workers, each on a new connection:`);
      for (const row of workerTable(lines)) out(row);
      out();
      out(
        `${lines.length} workers each counted only what they served: the largest says ${formatNumber(verdict.largest_seen ?? 0)}, ` +
          `none says ${REQUESTS}, yet together they add up to ${formatNumber(verdict.true_total ?? 0)}.`,
      );
      out('A module-level variable is global to one process; forking copies it and nobody keeps them in step.');
    },
  },
  {
    number: 3,
    title: 'Keep-alive: the balancer spreads connections, not requests',
    async run(stage, out) {
      // An admin token of the demo's own: the keep-alive switch is flipped at run time, no restart.
      const token = randomBytes(16).toString('hex');
      const lab = await stage.startLab([], stage.workers, { ADMIN_TOKEN: token });
      const pinned: { connection: number; workers: WorkerLine[] }[] = [];
      for (let connection = 1; connection <= 4; connection += 1) {
        // One keep-alive connection is one browser tab pressing refresh 25 times.
        const { ok } = await hammer(`${lab.url}/counter`, 25, 1, true);
        pinned.push({ connection, workers: byWorker(ok) });
      }
      // A clean slate (counters back to 0), then keep-alive off: both at run time, as the dashboard does.
      for (const path of ['/admin/reset', '/admin/keep-alive?on=0']) {
        const answer = await requestJson(`${lab.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
        if (answer.status !== 200) throw new Error(`POST ${path} answered ${answer.status}`);
      }
      const { ok: spreadOk } = await hammer(`${lab.url}/counter`, 100, 1, true);
      await stage.stopLab(lab);
      const spread = byWorker(spreadOk);

      out('4 keep-alive connections, 25 requests each, one after the other:');
      const rows = pinned.map(({ connection, workers }) => [
        String(connection),
        workers.map((worker) => `worker ${worker.id} ×${worker.requests}`).join(', '),
      ]);
      for (const row of formatTable(['connection', 'served by'], rows, new Set([0]))) out(`  ${row}`);
      out();
      out(
        'The same single keep-alive client after POST /admin/reset and /admin/keep-alive?on=0 (same cluster, no restart):',
      );
      for (const row of workerTable(spread)) out(row);
      out();
      const stuck = pinned.filter(({ workers }) => workers.length === 1).length;
      out(
        `${stuck} of 4 connections stayed on one worker for all 25 requests: node:cluster hands out connections, ` +
          `and a kept-alive connection keeps its worker.`,
      );
      out(
        `With keep-alive off every answer closes the connection, and the same client reached ${spread.length} workers. ` +
          "This is why a browser refresh shows no divergence: use --no-keep-alive in class (or the dashboard's switch).",
      );
    },
  },
  {
    number: 4,
    title: 'Lost updates: a lock matters where an await splits read and write',
    async run(stage, out) {
      const lab = await stage.startLab(['--io-delay-ms', '5'], 1);
      const unsafe = await hammerJudged(lab, '/counter/unsafe', 500, 50);
      const local = await hammerJudged(lab, '/counter/local', 500, 50);
      await stage.stopLab(lab);
      // One worker: its count is the true total, and the largest answer is that count.
      const unsafeFinal = unsafe.verdict.true_total ?? 0;
      const localFinal = local.verdict.true_total ?? 0;
      out('500 requests at concurrency 50 on ONE worker (no cluster effect at all), --io-delay-ms 5:');
      const rows = [
        ['/counter/unsafe', 'read, await 5 ms, write', formatNumber(unsafe.ok.length), formatNumber(unsafeFinal)],
        ['/counter/local', 'mutex around read-modify-write', formatNumber(local.ok.length), formatNumber(localFinal)],
      ];
      for (const row of formatTable(['route', 'how', 'answers', 'final'], rows, new Set([2, 3]))) out(`  ${row}`);
      out();
      out(
        `The unsafe counter lost ${formatNumber(unsafe.verdict.lost ?? 0)} of ${formatNumber(unsafe.verdict.expected)} ` +
          "increments inside a single process: every request that read during another one's await wrote back a stale value.",
      );
      out(
        `The locked counter ended at ${formatNumber(localFinal)}. JavaScript runs one callback at a time, so a lock ` +
          'only matters where an await sits between the read and the write — and it never helps across processes.',
      );
    },
  },
];
