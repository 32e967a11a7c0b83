// Lesson 11: cache stampedes. A shared cache still pays one database call per request that misses
// at the same moment: 40 concurrent requests for a cold key, 40 calls. The guards of the Redis cache
// (?guard=worker: single-flight per worker; ?guard=fleet: a Redis lease, one call for everybody),
// what the waiters pay for it against the loader's time, and a hot key that expires under load, with
// and without early refresh. Every figure is measured in this run.
import { sleep } from '../../src/sleep.js';
import { runLoad } from '../hammer/load.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import { requestJson } from '../lib/http-json.js';
import { percentile } from '../lib/pinned.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats, type LabProcess, type Stage } from './stage.js';

const COLD_REQUESTS = 40;
const COLD_DB_DELAY_MS = 1000;
const HOT_TTL_S = 1;
const HOT_DB_DELAY_MS = 200;
const HOT_LOAD_MS = 3000;
const HOT_WINDOW_MS = 500;

interface GuardedAnswer {
  guard?: { role: string };
}

interface ColdRun {
  guard: string;
  calls: number;
  workers: number;
  /** Times of the requests that called the database themselves. */
  loaders: number[];
  /** Times of the others: they waited for a load someone else made. */
  waiters: number[];
  failed: number;
}

/** 40 requests for one id nobody asked for yet, all at once, each on a new connection. */
const coldRun = async (lab: LabProcess, id: number, guard: string): Promise<ColdRun> => {
  const before = (await clusterStats(lab)).totals.db_calls;
  const answers = await Promise.all(
    Array.from({ length: COLD_REQUESTS }, async () => {
      const started = performance.now();
      const answer = await requestJson<GuardedAnswer>(`${lab.url}/user/redis/${id}?guard=${guard}`, {
        timeoutMs: 30_000,
      }).catch(() => null);
      return { answer, ms: performance.now() - started };
    }),
  );
  const calls = (await clusterStats(lab)).totals.db_calls - before;
  const ok = answers.filter(({ answer }) => answer?.status === 200);
  // Without a guard every request is its own loader; with one, the body says who loaded.
  const isLoader = (body: GuardedAnswer | undefined): boolean =>
    guard === 'none' || body?.guard?.role === 'loaded' || body?.guard?.role === 'fallback';
  return {
    guard,
    calls,
    workers: new Set(ok.map(({ answer }) => answer?.headers['x-worker-pid'])).size,
    loaders: ok.filter(({ answer }) => isLoader(answer?.body)).map(({ ms }) => ms),
    waiters: ok.filter(({ answer }) => !isLoader(answer?.body)).map(({ ms }) => ms),
    failed: answers.length - ok.length,
  };
};

const ms = (value: number): string => `${formatNumber(Math.round(value))} ms`;

interface HotRun {
  calls: number;
  fromDatabase: number;
  answers: number;
  p99: number;
}

/** A warm key with a 1 s TTL, read by 16 kept-alive clients for 3 s: what its expiries cost. */
const hotRun = async (stage: Stage, extra: string[]): Promise<HotRun> => {
  const lab = await stage.startLab([
    '--db-delay-ms',
    String(HOT_DB_DELAY_MS),
    '--redis-ttl-s',
    String(HOT_TTL_S),
    ...extra,
  ]);
  try {
    await requestJson(`${lab.url}/user/redis/7`);
    const before = (await clusterStats(lab)).totals.db_calls;
    const { samples } = await runLoad({
      urls: [`${lab.url}/user/redis/7`],
      requests: 10_000_000,
      durationMs: HOT_LOAD_MS,
      concurrency: 16,
      keepAlive: true,
    });
    // A refresh started by the last requests finishes in the background.
    await sleep(HOT_DB_DELAY_MS * 2);
    const calls = (await clusterStats(lab)).totals.db_calls - before;
    return {
      calls,
      fromDatabase: samples.filter((sample) => sample.source === 'database').length,
      answers: samples.filter((sample) => sample.status === 200).length,
      p99: percentile(
        samples.map((sample) => sample.ms),
        99,
      ),
    };
  } finally {
    await stage.stopLab(lab);
  }
};

export const stampedeLessons: Lesson[] = [
  {
    number: 11,
    title: 'Cache stampedes: one database call per waiting request, or one per key (guards, early refresh)',
    async run(stage, out) {
      if (stage.redisUrl === null) {
        out(`This lesson needs Redis. ${stage.redisNote.replace(/^Redis: none\. /, '')}`);
        return;
      }
      const lab = await stage.startLab(['--db-delay-ms', String(COLD_DB_DELAY_MS)]);
      const cold: ColdRun[] = [];
      try {
        for (const [index, guard] of ['none', 'worker', 'fleet'].entries())
          cold.push(await coldRun(lab, 100 + index, guard));
      } finally {
        await stage.stopLab(lab);
      }
      out(
        `${COLD_REQUESTS} concurrent requests for one new id on /user/redis/:id, ${stage.workers} workers, --db-delay-ms ${COLD_DB_DELAY_MS}:`,
      );
      const rows = cold.map((run) => [
        `?guard=${run.guard}`,
        formatNumber(run.calls),
        String(run.workers),
        run.loaders.length === 0 ? '-' : ms(percentile(run.loaders, 50)),
        run.waiters.length === 0 ? '-' : ms(percentile(run.waiters, 50)),
        run.waiters.length === 0 ? '-' : ms(percentile(run.waiters, 99)),
        formatNumber(run.failed),
      ]);
      const header = ['guard', 'db calls', 'workers', 'loader p50', 'waiters p50', 'waiters p99', 'failed'];
      for (const row of formatTable(header, rows, new Set([1, 2, 3, 4, 5, 6]))) out(`  ${row}`);
      out();
      const [none, worker, fleet] = cold as [ColdRun, ColdRun, ColdRun];
      out(
        `Without a guard the shared cache paid ${formatNumber(none.calls)} database calls for one user: every request that ` +
          'missed before the first answer was written made its own. A shared cache is not a shared load.',
      );
      out(
        `?guard=worker paid ${worker.calls}: one per worker (a promise shared by that worker's concurrent misses), ` +
          `so it grows with the workers. ?guard=fleet paid ${fleet.calls}: one worker took the lease (SET NX PX) and ` +
          'loaded, the others polled Redis until the value landed.',
      );
      if (fleet.loaders.length > 0 && fleet.waiters.length > 0) {
        const extra = percentile(fleet.waiters, 50) - percentile(fleet.loaders, 50);
        out(
          `What waiting costs: the loader answered in ${ms(percentile(fleet.loaders, 50))}, the waiters in ` +
            `${ms(percentile(fleet.waiters, 50))} at the median (p99 ${ms(percentile(fleet.waiters, 99))}): they poll Redis ` +
            `every 5 ms, doubling to 20 ms, so they answer at most that long after the value lands (${extra >= 0 ? ms(extra) : '0 ms'} here). ` +
            'A lease holder killed mid-load costs the rest of its lease (2 × --db-delay-ms) and one more load, never a deadlock.',
        );
      }

      const plain = await hotRun(stage, []);
      const early = await hotRun(stage, ['--redis-early-refresh-ms', String(HOT_WINDOW_MS)]);
      out();
      out(
        `A hot key with --redis-ttl-s ${HOT_TTL_S} and --db-delay-ms ${HOT_DB_DELAY_MS}, read by 16 kept-alive clients for ${HOT_LOAD_MS / 1000} s:`,
      );
      const hotRows = [
        ['expires, then reloaded', plain],
        [`--redis-early-refresh-ms ${HOT_WINDOW_MS}`, early],
      ].map(([label, run]) => {
        const result = run as HotRun;
        return [
          label as string,
          formatNumber(result.answers),
          formatNumber(result.calls),
          formatNumber(result.fromDatabase),
          ms(result.p99),
        ];
      });
      for (const row of formatTable(
        ['cache', 'answers', 'db calls', 'waited for the db', 'p99'],
        hotRows,
        new Set([1, 2, 3, 4]),
      )) {
        out(`  ${row}`);
      }
      out();
      out(
        `Each time the key expired, every request in flight missed and called the database: ${formatNumber(plain.calls)} calls, ` +
          `${formatNumber(plain.fromDatabase)} requests waited ${HOT_DB_DELAY_MS} ms. With early refresh a hit in the entry's last ` +
          `${HOT_WINDOW_MS} ms started one background refresh for the whole fleet (under the entry's lease): ${formatNumber(early.calls)} calls, ` +
          `one per would-be expiry, and ${formatNumber(early.fromDatabase)} requests waited for the database.`,
      );
    },
  },
];
