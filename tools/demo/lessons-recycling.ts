// Lesson 14: recycled workers (--max-requests, as gunicorn and uvicorn have). Every worker is
// replaced after its share of requests: whatever it kept in memory goes with it, as routinely as
// the load comes. Teams do it anyway, because it bounds what a leak can grow to. Measured here on
// the same load with and without recycling: counters, caches, the unbounded Map, latency.
import { formatNumber, formatTable } from '../hammer/text.js';
import { requestJson } from '../lib/http-json.js';
import { percentile } from '../lib/pinned.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats, type Stage } from './stage.js';

const MAX_REQUESTS = 100;
const JITTER = 20;
const REQUESTS = 900;
const CONCURRENCY = 4;
const DB_DELAY_MS = 20;

interface Answer {
  path: 'counter' | 'hot' | 'unique';
  status: number | null;
  pid: number;
  count?: number;
  source?: string;
  ms: number;
}

interface Run {
  answers: Answer[];
  restarts: number;
  recycled: number;
  /** The live workers' local counters added up, after the load. */
  liveLocal: number;
  /** Entries in the live workers' Map caches, added up. */
  mapSize: number;
}

/** Thirds: /counter/local, /user/1 (one hot key), /user/<new id> (a key that is never asked again). */
const pathOf = (index: number): [Answer['path'], string] => {
  if (index % 3 === 0) return ['counter', '/counter/local'];
  if (index % 3 === 1) return ['hot', '/user/1'];
  return ['unique', `/user/${100_000 + index}`];
};

const drive = async (stage: Stage, extra: string[]): Promise<Run> => {
  const lab = await stage.startLab(['--db-delay-ms', String(DB_DELAY_MS), ...extra]);
  try {
    const answers: Answer[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < REQUESTS) {
        const [path, url] = pathOf(next);
        next += 1;
        const started = performance.now();
        const answer = await requestJson<{ current_count?: number; source?: string }>(`${lab.url}${url}`, {
          timeoutMs: 10_000,
        }).catch(() => null);
        answers.push({
          path,
          status: answer?.status ?? null,
          pid: Number(answer?.headers['x-worker-pid'] ?? 0),
          count: answer?.body.current_count,
          source: answer?.body.source,
          ms: performance.now() - started,
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const stats = await clusterStats(lab);
    return {
      answers,
      restarts: stats.restarts,
      recycled: stats.recycled ?? 0,
      liveLocal: stats.totals.counters.local ?? 0,
      mapSize: stats.totals.caches.map?.size ?? 0,
    };
  } finally {
    await stage.stopLab(lab);
  }
};

const ms = (value: number): string => `${formatNumber(Math.round(value))} ms`;

export const recyclingLessons: Lesson[] = [
  {
    number: 14,
    title: 'Recycled workers (--max-requests): state loss made routine, and why teams do it anyway',
    async run(stage, out) {
      const plain = await drive(stage, []);
      const recycled = await drive(stage, [
        '--max-requests',
        String(MAX_REQUESTS),
        '--max-requests-jitter',
        String(JITTER),
      ]);
      out(
        `${formatNumber(REQUESTS)} requests, ${CONCURRENCY} at a time on new connections, ${stage.workers} workers: a third each to ` +
          '/counter/local, /user/1 (one hot key) and /user/<new id> (a key never asked again: memory that only grows, like a leak):',
      );
      const row = (label: string, run: Run) => {
        const counted = run.answers.filter((answer) => answer.path === 'counter' && answer.status === 200).length;
        const hotMisses = run.answers.filter((answer) => answer.path === 'hot' && answer.source === 'database').length;
        return [
          label,
          formatNumber(new Set(run.answers.map((answer) => answer.pid).filter((pid) => pid > 0)).size),
          formatNumber(run.answers.filter((answer) => answer.status !== 200).length),
          `${formatNumber(run.liveLocal)} of ${formatNumber(counted)}`,
          formatNumber(hotMisses),
          formatNumber(run.mapSize),
          ms(
            percentile(
              run.answers.map((answer) => answer.ms),
              99,
            ),
          ),
        ];
      };
      const header = ['workers', 'served by', 'failed', 'local counters now', '/user/1 db calls', 'Map entries', 'p99'];
      const rows = [row('no recycling', plain), row(`--max-requests ${MAX_REQUESTS} (+0-${JITTER})`, recycled)];
      for (const line of formatTable(header, rows, new Set([1, 2, 3, 4, 5, 6]))) out(`  ${line}`);
      out();
      const counted = recycled.answers.filter((answer) => answer.path === 'counter' && answer.status === 200).length;
      const hotMisses = recycled.answers.filter(
        (answer) => answer.path === 'hot' && answer.source === 'database',
      ).length;
      out(
        `${formatNumber(recycled.recycled)} workers were recycled (counted in restarts: ${formatNumber(recycled.restarts)}; ` +
          `the crash-loop guard ignores them), and ${formatNumber(recycled.answers.filter((answer) => answer.status !== 200).length)} ` +
          'requests failed: each replacement was started ahead of its limit, and a worker drains only while another one listens.',
      );
      out(
        `Everything in memory went with them: the live workers' local counters hold ${formatNumber(recycled.liveLocal)} of ` +
          `${formatNumber(counted)} increments, and the hot key cost ${formatNumber(hotMisses)} database calls against ` +
          `${formatNumber(plain.answers.filter((answer) => answer.path === 'hot' && answer.source === 'database').length)} without recycling: ` +
          'every new worker starts with empty caches (and two concurrent misses in one worker both load: lesson 11). ' +
          'In-memory state was already per worker; recycling makes losing it routine rather than rare.',
      );
      out(
        `Why teams recycle anyway: the Map of never-again keys held ${formatNumber(plain.mapSize)} entries without recycling and ` +
          `${formatNumber(recycled.mapSize)} with it. A leak grows with requests; a worker that lives ${MAX_REQUESTS} requests can only leak that much. ` +
          `The price is a boot per recycling (p99 ${ms(
            percentile(
              recycled.answers.map((answer) => answer.ms),
              99,
            ),
          )} against ` +
          `${ms(
            percentile(
              plain.answers.map((answer) => answer.ms),
              99,
            ),
          )}) and state that must live elsewhere (IPC, a file, Redis).`,
      );
    },
  },
];
