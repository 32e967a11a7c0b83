// Lessons 5-7: the ways to share state across workers and what each costs, caches per worker vs one
// shared cache, and what survives a worker crash or a cluster restart. Every figure is measured here.

import { COUNTER_STRATEGIES } from '../../src/counters/registry.js';
import { sleep } from '../../src/sleep.js';
import type { ClusterStats } from '../../src/stats.js';
import type { CounterVerdict, VerdictKind } from '../../src/verdict.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import { type Cost, compareWith, measureCosts, median, spreadText } from './costs.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats, createPinnedClient, hammer, hammerJudged, type Stage } from './stage.js';

const NO_REDIS = (stage: Stage): string => `(Redis parts skipped: ${stage.redisNote.replace(/^Redis: none\. /, '')})`;

/** The value a strategy holds now, from /cluster: shared ones have one value, local ones are summed. */
const counterValue = (stats: ClusterStats, strategy: string): number | null =>
  strategy === 'local' || strategy === 'unsafe'
    ? (stats.totals.counters[strategy] ?? 0)
    : (stats.shared_counters[strategy] ?? null);

const SHARE_REQUESTS = 1000;
/** The cost measurement: rounds of every route in turn, each on kept-alive connections for a fixed time. */
const COST_ROUNDS = 3;
const COST_DURATION_MS = 800;
const COST_CONNECTIONS = 16;

const KIND_WORDS: Record<VerdictKind, string> = {
  exact: 'exact',
  split: 'split: nobody knows the total',
  lost: 'lost updates',
  more: 'more than answered',
  unreadable: 'unreadable',
  idle: 'no answers',
};

/** The order of costs, said only as far as the rounds support it. */
const costSentence = (costs: readonly Cost[]): string => {
  const local = costs.find((cost) => cost.strategy === 'local');
  if (local === undefined) return '';
  const localUs = median(local.cpuUs.filter((value): value is number => value !== null));
  const clear: string[] = [];
  const noise: string[] = [];
  for (const cost of costs) {
    if (cost === local) continue;
    const verdict = compareWith(local, cost);
    const us = median(cost.cpuUs.filter((value): value is number => value !== null));
    if (verdict === 'costlier') clear.push(`${cost.strategy} ${(us / localUs).toFixed(1)}×`);
    else if (verdict === 'noise' || verdict === 'cheaper') noise.push(cost.strategy);
  }
  const parts: string[] = [];
  if (clear.length > 0) {
    parts.push(
      `Per request the server spent more CPU than for local in each of the ${local.cpuUs.length} rounds: ` +
        `${clear.join(', ')} local's ${formatNumber(Math.round(localUs))} µs (medians).`,
    );
  }
  if (noise.length > 0) {
    parts.push(
      `${noise.join(', ')}: cheaper than local in some rounds and dearer in others, so on this machine the ` +
        'difference is within the noise — not a finding.',
    );
  }
  return parts.length === 0
    ? 'The CPU time could not be read here (no /proc): compare the req/s column only.'
    : parts.join(' ');
};

interface User {
  source: string;
}

export const sharingLessons: Lesson[] = [
  {
    number: 5,
    title: 'Sharing across workers: ipc, file and redis are exact, redis-unsafe is not; what each costs',
    async run(stage, out) {
      const lab = await stage.startLab();
      // The reference (local) and every shared strategy of the registry; the Redis ones need Redis.
      const strategies = [
        'local',
        ...COUNTER_STRATEGIES.filter(
          (strategy) => strategy.scope !== 'worker' && (strategy.scope !== 'fleet' || stage.redisUrl !== null),
        ).map((strategy) => strategy.name),
      ];
      const verdicts: CounterVerdict[] = [];
      for (const strategy of strategies) {
        verdicts.push((await hammerJudged(lab, `/counter/${strategy}`, SHARE_REQUESTS, 50)).verdict);
      }
      const pids = [lab.child.pid, ...lab.workerPids, stage.redisPid].filter(
        (pid): pid is number => pid !== undefined && pid !== null,
      );
      const costs = await measureCosts({
        baseUrl: lab.url,
        strategies,
        pids,
        rounds: COST_ROUNDS,
        durationMs: COST_DURATION_MS,
        concurrency: COST_CONNECTIONS,
      });
      await stage.stopLab(lab);

      out(
        `${formatNumber(SHARE_REQUESTS)} requests per route at concurrency 50, new connections, ${stage.workers} workers; ` +
          'each counter measured against /cluster before and after:',
      );
      const rows = verdicts.map((verdict) => [
        `/counter/${verdict.strategy}`,
        formatNumber(verdict.expected),
        verdict.true_total === null ? '-' : formatNumber(verdict.true_total),
        verdict.lost === null ? '-' : formatNumber(verdict.lost),
        verdict.largest_seen === null ? '-' : formatNumber(verdict.largest_seen),
        KIND_WORDS[verdict.kind],
      ]);
      const header = ['route', 'answers', 'true total', 'lost', 'largest answer', 'verdict'];
      for (const row of formatTable(header, rows, new Set([1, 2, 3, 4]))) out(`  ${row}`);
      out();
      out(
        `What each costs: ${COST_CONNECTIONS} kept-alive connections, ${COST_DURATION_MS / 1000} s per measurement, ` +
          `the routes interleaved ${COST_ROUNDS} times (median, and the range of the ${COST_ROUNDS} rounds):`,
      );
      const costRows = costs.map((cost) => [`/counter/${cost.strategy}`, spreadText(cost.rps), spreadText(cost.cpuUs)]);
      for (const row of formatTable(['route', 'req/s', 'server CPU µs per request'], costRows, new Set([1, 2]))) {
        out(`  ${row}`);
      }
      out();
      const exact = verdicts.filter((verdict) => verdict.kind === 'exact').map((verdict) => verdict.strategy);
      const lossy = verdicts.filter((verdict) => verdict.kind === 'lost');
      out(
        `Measured: ${exact.join(', ')} exact` +
          (lossy.length === 0
            ? '.'
            : `; ${lossy.map((verdict) => `${verdict.strategy} lost ${formatNumber(verdict.lost ?? 0)}`).join(', ')}.`) +
          " Local adds up, but no worker knows the total: the largest answer is one worker's share.",
      );
      out(costSentence(costs));
      out(
        'The primary (ipc), a locked file and an atomic INCR each keep one true value; GET-await-SET on a shared ' +
          'store is as racy as the unsafe counter. The CPU column is the price of the round trip each one needs.',
      );
      if (stage.redisUrl === null) out(NO_REDIS(stage));
    },
  },
  {
    number: 6,
    title: 'Caches: one database call per worker per key, or one per key with Redis; LRU evicts, TTL expires',
    async run(stage, out) {
      const ttlMs = 1500;
      const lab = await stage.startLab(['--db-delay-ms', '50', '--cache-ttl-ms', String(ttlMs)]);
      for (let request = 0; request < 40; request += 1) await hammer(`${lab.url}/user/1`, 1, 1);
      const afterMap = await clusterStats(lab);
      const mapCalls = afterMap.totals.db_calls;
      const servedMap = afterMap.workers.filter((worker) => worker.db_calls > 0).length;
      let redisCalls: number | null = null;
      if (stage.redisUrl !== null) {
        for (let request = 0; request < 40; request += 1) await hammer(`${lab.url}/user/redis/1`, 1, 1);
        redisCalls = (await clusterStats(lab)).totals.db_calls - mapCalls;
      }
      // One kept-alive connection stays on one worker, so its LRU and TTL caches are the ones we see.
      const pinned = createPinnedClient();
      const lru: string[] = [];
      for (const id of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 11]) {
        lru.push((await pinned.get<User>(`${lab.url}/user/lru/${id}`)).source);
      }
      const ttl = [(await pinned.get<User>(`${lab.url}/user/ttl/1`)).source];
      ttl.push((await pinned.get<User>(`${lab.url}/user/ttl/1`)).source);
      await sleep(ttlMs + 200);
      ttl.push((await pinned.get<User>(`${lab.url}/user/ttl/1`)).source);
      pinned.close();
      await stage.stopLab(lab);

      out(`--db-delay-ms 50 and --cache-ttl-ms ${ttlMs} (shortened so the lesson fits in a few seconds):`);
      const rows = [
        ['/user/1 (Map per worker)', '40', formatNumber(mapCalls)],
        ...(redisCalls === null ? [] : [['/user/redis/1 (one Redis)', '40', formatNumber(redisCalls)]]),
      ];
      for (const row of formatTable(['route', 'requests', 'database calls'], rows, new Set([1, 2]))) out(`  ${row}`);
      out();
      out(
        `The per-worker cache paid ${mapCalls} database calls for one user: one for each of the ${servedMap} workers ` +
          `that served it.${redisCalls === null ? '' : ` The Redis cache paid ${redisCalls}: every worker reads the one copy.`}`,
      );
      out(
        `LRU (max 10) on one worker, ids 1-11 then 1 and 11: id 1 came from ${lru[11]}, id 11 from ${lru[12]}` +
          ' — the 11th key evicted the least recently used one.',
      );
      out(`TTL: ${ttl[0]}, then ${ttl[1]}, then after ${ttlMs + 200} ms ${ttl[2]}: the entry expired.`);
      if (redisCalls === null) out(NO_REDIS(stage));
    },
  },
  {
    number: 7,
    title: 'Crashes and restarts: what survives a killed worker, and what survives a restarted cluster',
    async run(stage, out) {
      const strategies = ['local', 'ipc', 'file', ...(stage.redisUrl === null ? [] : ['redis'])];
      const lab = await stage.startLab();
      for (const strategy of strategies) await hammer(`${lab.url}/counter/${strategy}`, 100, 20);
      const before = await clusterStats(lab);
      const victim = before.workers[0];
      if (victim === undefined) throw new Error('no worker to kill');
      process.kill(victim.pid, 'SIGKILL');
      let afterCrash = await clusterStats(lab);
      for (
        let wait = 0;
        wait < 100 && (afterCrash.restarts < 1 || afterCrash.workers.length < stage.workers);
        wait += 1
      ) {
        await sleep(50);
        afterCrash = await clusterStats(lab);
      }
      await stage.stopLab(lab);
      const again = await stage.startLab();
      const afterRestart = await clusterStats(again);
      await stage.stopLab(again);

      out(
        `100 requests to each counter on ${stage.workers} workers, then kill -9 of worker ${victim.id} ` +
          `(pid ${victim.pid}), then a whole new cluster on the same data dir${stage.redisUrl === null ? '' : ' and Redis'}:`,
      );
      const rows = strategies.map((strategy) => [
        strategy,
        formatNumber(counterValue(before, strategy) ?? 0),
        formatNumber(counterValue(afterCrash, strategy) ?? 0),
        formatNumber(counterValue(afterRestart, strategy) ?? 0),
      ]);
      const header = ['counter', 'before', 'after the crash', 'after a restart'];
      for (const row of formatTable(header, rows, new Set([1, 2, 3]))) out(`  ${row}`);
      out();
      const lostLocal = (counterValue(before, 'local') ?? 0) - (counterValue(afterCrash, 'local') ?? 0);
      out(
        `The killed worker took its ${formatNumber(lostLocal)} local increments with it (its replacement starts at 0), ` +
          `while the IPC counter kept ${formatNumber(counterValue(afterCrash, 'ipc') ?? 0)}: it lives in the primary.`,
      );
      out(
        `A new cluster starts the IPC counter at ${counterValue(afterRestart, 'ipc')}; the file ` +
          `${stage.redisUrl === null ? '' : 'and Redis '}counters still hold their values: they live outside every process.`,
      );
      if (stage.redisUrl === null) out(NO_REDIS(stage));
    },
  },
];
