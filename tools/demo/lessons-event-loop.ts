// Lesson 13: a blocked event loop. The reference sleeps synchronously inside an async handler, so a
// cache miss stalls the whole worker. GET /user/blocking/:id does the same here; while one client
// waits on it, another kept-alive connection to the same worker waits too, and a connection to
// another worker does not. Then the fix: the same database call awaited (a miss on /user/:id).
import type { ClusterStats } from '../../src/stats.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import { type PinnedTrio, percentile, pinTrio, probeUntil } from '../lib/pinned.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats } from './stage.js';

const DB_DELAY_MS = 1000;
/** Database calls the loaded connection makes, one after another. */
const CALLS = 3;

interface Probe {
  times: number[];
}

interface Run {
  label: string;
  sameId: number;
  otherId: number;
  same: Probe;
  other: Probe;
  loopSame: number;
  loopOther: number;
}

/** `CALLS` requests to `path(i)` on the first connection while the two others ask /counter/local. */
const measure = async (
  trio: PinnedTrio,
  label: string,
  path: (call: number) => string,
  stats: () => Promise<ClusterStats>,
) => {
  const load = (async () => {
    for (let call = 0; call < CALLS; call += 1) await trio.first.get(path(call));
  })();
  const [same, other] = await Promise.all([
    probeUntil(trio.second, '/counter/local', load),
    probeUntil(trio.elsewhere, '/counter/local', load),
  ]);
  const { workers } = await stats();
  const loop = (id: number) => workers.find((worker) => worker.id === id)?.event_loop.max_ms ?? 0;
  return {
    label,
    sameId: trio.first.workerId,
    otherId: trio.elsewhere.workerId,
    same: { times: same },
    other: { times: other },
    loopSame: loop(trio.first.workerId),
    loopOther: loop(trio.elsewhere.workerId),
  } satisfies Run;
};

const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : formatNumber(Math.round(value))} ms`;

export const eventLoopLessons: Lesson[] = [
  {
    number: 13,
    title: 'A blocked event loop: one synchronous wait stalls every request of its worker',
    async run(stage, out) {
      const runs: Run[] = [];
      // One cluster each, so each worker's event-loop delay is this run's alone.
      const plans: [string, (call: number) => string][] = [
        ['blocking', (call) => `/user/blocking/${call + 1}`],
        // The same call awaited: a cache miss each time (new ids on the Map cache).
        ['awaited', (call) => `/user/${1000 + call}`],
      ];
      for (const [label, path] of plans) {
        const lab = await stage.startLab(['--db-delay-ms', String(DB_DELAY_MS)]);
        try {
          // Two kept-alive connections on one worker, a third on another.
          const trio = await pinTrio(lab.url);
          try {
            runs.push(await measure(trio, label, path, () => clusterStats(lab)));
          } finally {
            trio.close();
          }
        } finally {
          await stage.stopLab(lab);
        }
      }
      const [blocking, awaited] = runs as [Run, Run];
      const workers = { blocked: blocking.sameId, other: blocking.otherId };
      out(
        `${CALLS} database calls of ${DB_DELAY_MS} ms, one after another on a kept-alive connection, while a second connection ` +
          'to the same worker and one to another worker ask /counter/local again and again (a fresh cluster for each load):',
      );
      const rows = runs.flatMap((run) => [
        [
          run.label === 'blocking' ? '/user/blocking/:id (sync wait)' : '/user/:id miss (await)',
          `worker ${run.sameId} (same)`,
          formatNumber(run.same.times.length),
          ms(percentile(run.same.times, 50)),
          ms(percentile(run.same.times, 99)),
          ms(Math.max(...run.same.times)),
          ms(run.loopSame),
        ],
        [
          '',
          `worker ${run.otherId} (other)`,
          formatNumber(run.other.times.length),
          ms(percentile(run.other.times, 50)),
          ms(percentile(run.other.times, 99)),
          ms(Math.max(...run.other.times)),
          ms(run.loopOther),
        ],
      ]);
      const header = ['load', '/counter/local on', 'requests', 'p50', 'p99', 'max', 'loop delay max'];
      for (const row of formatTable(header, rows, new Set([2, 3, 4, 5, 6]))) out(`  ${row}`);
      out();
      out(
        `While worker ${workers.blocked} sat in a synchronous wait, its other connection got ${formatNumber(blocking.same.times.length)} answers ` +
          `in ${CALLS} s, the slowest after ${ms(Math.max(...blocking.same.times))}; worker ${workers.other} answered ` +
          `${formatNumber(blocking.other.times.length)} times (p99 ${ms(percentile(blocking.other.times, 99))}). One process runs one thing ` +
          'at a time: a handler that does not await holds every connection, timer and IPC message of its worker.',
      );
      out(
        `Awaited, the same ${DB_DELAY_MS} ms call left its worker serving: ${formatNumber(awaited.same.times.length)} answers, ` +
          `p99 ${ms(percentile(awaited.same.times, 99))}. /cluster shows each worker's event-loop delay (event_loop.max_ms: ` +
          `${ms(blocking.loopSame)} blocked, ${ms(awaited.loopSame)} awaited); a block longer than --heartbeat-grace-ms gets the worker killed and replaced.`,
      );
    },
  },
];
