// Lessons 5-7: the ways to share state across workers and what each costs, caches per worker vs one
// shared cache, and what survives a worker crash or a cluster restart. Every figure is measured here.

import { sleep } from '../../src/sleep.js';
import type { ClusterStats } from '../../src/stats.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import type { Lesson } from './lessons-isolation.js';
import { clusterStats, createPinnedClient, hammer, type Stage } from './stage.js';

const NO_REDIS = (stage: Stage): string => `(Redis parts skipped: ${stage.redisNote.replace(/^Redis: none\. /, '')})`;

/** The value a strategy holds now, from /cluster: shared ones have one value, local ones are summed. */
const counterValue = (stats: ClusterStats, strategy: string): number | null =>
  strategy === 'local' || strategy === 'unsafe'
    ? (stats.totals.counters[strategy] ?? 0)
    : (stats.shared_counters[strategy] ?? null);

const SHARE_REQUESTS = 1000;

interface User {
  source: string;
}

export const sharingLessons: Lesson[] = [
  {
    number: 5,
    title: 'Sharing across workers: ipc, file and redis are exact, redis-unsafe is not; what each costs',
    async run(stage, out) {
      const lab = await stage.startLab();
      const strategies = ['local', 'ipc', 'file', ...(stage.redisUrl === null ? [] : ['redis', 'redis-unsafe'])];
      const rows: string[][] = [];
      let localRate = 0;
      const verdicts: string[] = [];
      for (const strategy of strategies) {
        const { ok, elapsedMs } = await hammer(`${lab.url}/counter/${strategy}`, SHARE_REQUESTS, 50);
        const rate = ok.length / (elapsedMs / 1000);
        if (strategy === 'local') localRate = rate;
        const value = counterValue(await clusterStats(lab), strategy);
        const largestSeen = Math.max(0, ...ok.map((sample) => sample.count ?? 0));
        const final = strategy === 'local' ? largestSeen : (value ?? largestSeen);
        const lost = ok.length - final;
        rows.push([
          `/counter/${strategy}`,
          formatNumber(ok.length),
          formatNumber(final),
          formatNumber(lost),
          formatNumber(Math.round(rate)),
          localRate > 0 ? `${(rate / localRate).toFixed(2)}×` : '-',
        ]);
        if (strategy !== 'local') verdicts.push(`${strategy} ${lost === 0 ? 'exact' : `lost ${formatNumber(lost)}`}`);
      }
      await stage.stopLab(lab);
      out(
        `${formatNumber(SHARE_REQUESTS)} requests per route at concurrency 50, new connections, ${stage.workers} workers:`,
      );
      const header = ['route', 'answers', 'final', 'lost', 'req/s', 'vs local'];
      for (const row of formatTable(header, rows, new Set([1, 2, 3, 4, 5]))) out(`  ${row}`);
      out();
      out(
        `Measured: ${verdicts.join(', ')}. For local, "final" is the largest worker's count: the others are elsewhere.`,
      );
      out(
        'The primary (ipc), a locked file and an atomic INCR each keep one true value; GET-await-SET on a shared ' +
          'store is as racy as the unsafe counter. The req/s column is the price of the round trip each one needs.',
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
