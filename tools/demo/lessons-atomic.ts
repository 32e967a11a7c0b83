// Lesson 12: atomic read-modify-write in Redis. INCR is atomic but only adds; an update computed in
// the app (GET, compute, SET) is not, across workers. The two standard fixes side by side with the
// broken one: WATCH/MULTI/EXEC (optimistic, retried when another writer got in between) and one Lua
// script (run by Redis with nothing in between). Exactness, aborts, requests per second, measured
// in rounds that take turns, so that a busy moment of the machine does not land on one row only.
import { runLoad } from '../hammer/load.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats, type LabProcess } from './stage.js';

const STRATEGIES = ['redis-unsafe', 'redis', 'redis-watch', 'redis-lua'] as const;
const REQUESTS = 1000;
const CONCURRENCY = 50;
const ROUNDS = 3;

interface Round {
  answers: number;
  added: number;
  rps: number;
  aborts: number;
  gaveUp: number;
}

const measureRound = async (lab: LabProcess, strategy: string): Promise<Round> => {
  const before = await clusterStats(lab);
  const { samples, elapsedMs } = await runLoad({
    urls: [`${lab.url}/counter/${strategy}`],
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    keepAlive: true,
  });
  const after = await clusterStats(lab);
  const watch = (stats: typeof before) => stats.totals.strategy_stats?.[strategy] ?? {};
  const answers = samples.filter((sample) => sample.status === 200).length;
  return {
    answers,
    added: (after.shared_counters[strategy] ?? 0) - (before.shared_counters[strategy] ?? 0),
    rps: answers / (elapsedMs / 1000),
    aborts: (watch(after).aborts ?? 0) - (watch(before).aborts ?? 0),
    gaveUp: (watch(after).gave_up ?? 0) - (watch(before).gave_up ?? 0),
  };
};

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const HOW: Record<string, string> = {
  'redis-unsafe': 'GET, await, SET',
  redis: 'INCR',
  'redis-watch': 'WATCH, GET, MULTI/SET/EXEC, retry',
  'redis-lua': 'one Lua script (EVALSHA)',
};

export const atomicLessons: Lesson[] = [
  {
    number: 12,
    title: 'Read-modify-write in Redis: INCR vs WATCH/MULTI/EXEC vs a Lua script',
    async run(stage, out) {
      if (stage.redisUrl === null) {
        out(`This lesson needs Redis. ${stage.redisNote.replace(/^Redis: none\. /, '')}`);
        return;
      }
      const lab = await stage.startLab();
      const rounds = new Map<string, Round[]>(STRATEGIES.map((strategy) => [strategy, []]));
      try {
        for (let round = 0; round < ROUNDS; round += 1) {
          for (const strategy of STRATEGIES) rounds.get(strategy)?.push(await measureRound(lab, strategy));
        }
      } finally {
        await stage.stopLab(lab);
      }
      out(
        `${ROUNDS} rounds, taking turns, of ${formatNumber(REQUESTS)} requests per route at concurrency ${CONCURRENCY} ` +
          `(kept-alive connections), ${stage.workers} workers on one Redis key each:`,
      );
      const total = (strategy: string, field: keyof Round): number =>
        (rounds.get(strategy) ?? []).reduce((sum, round) => sum + round[field], 0);
      const rows = STRATEGIES.map((strategy) => {
        const runs = rounds.get(strategy) ?? [];
        const rates = runs.map((run) => run.rps);
        const lost = total(strategy, 'answers') - total(strategy, 'added');
        return [
          `/counter/${strategy}`,
          HOW[strategy] ?? '',
          formatNumber(total(strategy, 'answers')),
          formatNumber(lost),
          strategy === 'redis-watch' ? formatNumber(total(strategy, 'aborts')) : '-',
          formatNumber(Math.round(median(rates))),
          `${formatNumber(Math.round(Math.min(...rates)))}-${formatNumber(Math.round(Math.max(...rates)))}`,
        ];
      });
      const header = ['route', 'how', 'answers', 'lost', 'aborts', 'req/s', 'range'];
      for (const row of formatTable(header, rows, new Set([2, 3, 4, 5, 6]))) out(`  ${row}`);
      out();
      const lostUnsafe = total('redis-unsafe', 'answers') - total('redis-unsafe', 'added');
      const watchAnswers = total('redis-watch', 'answers');
      const aborts = total('redis-watch', 'aborts');
      const rate = (strategy: string): number => median((rounds.get(strategy) ?? []).map((run) => run.rps));
      out(
        `GET-await-SET lost ${formatNumber(lostUnsafe)} of ${formatNumber(total('redis-unsafe', 'answers'))} updates: shared is not atomic. ` +
          `INCR, WATCH and Lua lost ${formatNumber(total('redis', 'answers') - total('redis', 'added'))}, ` +
          `${formatNumber(watchAnswers - total('redis-watch', 'added'))} and ${formatNumber(total('redis-lua', 'answers') - total('redis-lua', 'added'))}.`,
      );
      out(
        `WATCH paid for its exactness in aborts: ${formatNumber(aborts)} transactions (${(aborts / Math.max(watchAnswers, 1)).toFixed(1)} per increment) ` +
          `found the key changed at EXEC and ran again; ${formatNumber(total('redis-watch', 'gaveUp'))} ran out of attempts (a 503 that says so). ` +
          `Its rate, ${formatNumber(Math.round(rate('redis-watch')))} req/s, against ${formatNumber(Math.round(rate('redis-lua')))} for Lua and ` +
          `${formatNumber(Math.round(rate('redis')))} for INCR: each WATCH attempt is three round trips on a connection of its own, the script one.`,
      );
      const range = (strategy: string) => (rounds.get(strategy) ?? []).map((run) => run.rps);
      const overlap =
        Math.min(...range('redis')) <= Math.max(...range('redis-lua')) &&
        Math.min(...range('redis-lua')) <= Math.max(...range('redis'));
      out(
        overlap
          ? 'INCR and the script are one round trip each; their ranges overlap here, so the gap between them is noise on this machine.'
          : `INCR and the script are one round trip each; here ${rate('redis') > rate('redis-lua') ? 'INCR' : 'the script'} was faster in every round.`,
      );
      out(
        'Use INCR when the update is an addition; a Lua script when it is computed but small (Redis runs nothing else meanwhile); ' +
          'WATCH when the computation must stay in the app, and the key is not hot: every concurrent writer but one retries.',
      );
    },
  },
];
