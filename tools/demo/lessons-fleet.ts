// Lessons 10 and 15: a fleet of lab clusters behind a real HAProxy, one Redis. 10: the scope ladder
// measured through the balancer (worker → host → fleet), one cache for all or one per worker, and
// sticky sessions that make one client's counter look right while the totals still diverge. 15:
// hosts failing under load — drained, stopped, killed — and Redis killed. Every figure is measured.
import { join } from 'node:path';
import type { Scope } from '../../src/counters/strategy.js';
import { judgeCounterRun } from '../../src/verdict.js';
import { findHaproxy } from '../fleet/haproxy.js';
import { HOST_SHUTDOWN_DELAY_MS } from '../fleet/haproxy-config.js';
import { type RunningFleet, readFleetView, startFleetProcess } from '../fleet/ready-event.js';
import { fleetCounterRun, type HostSnapshot, largestOverBaseline, type SeenAnswer } from '../fleet/verdicts.js';
import type { FleetView } from '../fleet/view.js';
import { formatNumber, formatTable } from '../hammer/text.js';
import { requestJson } from '../lib/http-json.js';
import { FAULT_CONCURRENCY, type FaultOutcome, measureHostFault, measureRedisOutage } from './fleet-faults.js';
import type { Lesson } from './lessons-isolation.js';
import { hammer, type Stage } from './stage.js';

const HOSTS = 2;
const WORKERS = 2;
const LADDER_REQUESTS = 400;
const LADDER_CONCURRENCY = 20;
const CACHE_REQUESTS = 40;
const STICKY_CLIENTS = 4;
const STICKY_REQUESTS = 50;

/** The line a fleet lesson prints instead of its measurements where HAProxy is missing; null when it is there. */
const withoutHaproxy = async (): Promise<string | null> =>
  (await findHaproxy()) === null
    ? '(Skipped: this lesson puts a real HAProxy in front of its hosts, and there is none on PATH; apt-get install -y haproxy.)'
    : null;

/** A fleet of the lesson's own (its own private Redis, so lesson 15 may kill it), stopped by the stage. */
const startLessonFleet = (stage: Stage, lesson: number, args: readonly string[]): Promise<RunningFleet> => {
  const env = { ...process.env };
  for (const name of ['REDIS_URL', 'REDIS_URL_FILE']) delete env[name];
  return startFleetProcess({
    group: stage.group,
    args: [
      '--hosts',
      String(HOSTS),
      '--workers',
      String(WORKERS),
      '--data-dir',
      join(stage.dataDir, `lesson-${lesson}-fleet`),
      ...args,
    ],
    env,
  });
};

const snapshot = (view: FleetView): HostSnapshot[] =>
  view.hosts.map((host) => ({ instance: host.instance, cluster: host.cluster }));

/** Which host a worker pid belongs to (pids are unique on one machine). */
const instanceByPid = (views: readonly FleetView[]): Map<number, string> =>
  new Map(
    views.flatMap((view) =>
      view.hosts.flatMap((host) => (host.cluster?.workers ?? []).map((worker) => [worker.pid, host.instance] as const)),
    ),
  );

const NOT_REDIS = (fleet: RunningFleet): string | null =>
  fleet.ready.redis.origin === 'none'
    ? '(Redis parts skipped: no redis-server on PATH; apt-get install -y redis-server)'
    : null;

interface LadderRow {
  strategy: string;
  scope: Scope;
  answers: number;
  workersAnswering: number;
  verdict: ReturnType<typeof judgeCounterRun>;
}

const climbLadder = async (fleet: RunningFleet): Promise<LadderRow[]> => {
  const socket = fleet.ready.control_socket;
  const first = await readFleetView(socket);
  const rows: LadderRow[] = [];
  for (const [strategy, { scope }] of Object.entries(first.strategies)) {
    if (scope === 'fleet' && fleet.ready.redis.origin === 'none') continue;
    const before = await readFleetView(socket);
    const { ok } = await hammer(`${fleet.ready.url}/counter/${strategy}`, LADDER_REQUESTS, LADDER_CONCURRENCY);
    const after = await readFleetView(socket);
    const hostOf = instanceByPid([before, after]);
    const answers: SeenAnswer[] = ok.flatMap((sample) =>
      sample.count === undefined || sample.workerPid === undefined
        ? []
        : [{ instance: hostOf.get(sample.workerPid) ?? '?', pid: sample.workerPid, count: sample.count }],
    );
    const facts = { strategy, scope, before: snapshot(before), after: snapshot(after) };
    const run = fleetCounterRun({
      ...facts,
      expected: answers.length,
      largestSeen: largestOverBaseline(facts, answers),
    });
    rows.push({
      strategy,
      scope,
      answers: answers.length,
      workersAnswering: new Set(answers.map((answer) => answer.pid)).size,
      verdict: judgeCounterRun(run),
    });
  }
  return rows;
};

const ladderSentence = (row: LadderRow): string => {
  const { verdict } = row;
  const shares = verdict.shares.map((share) => `${share.instance} ${formatNumber(share.count)}`).join(', ');
  const largest = formatNumber(verdict.largest_seen ?? 0);
  if (row.scope === 'worker') {
    const lost =
      verdict.kind === 'lost'
        ? ` It also lost ${formatNumber(verdict.lost ?? 0)} inside the workers: read, await, write is not atomic.`
        : '';
    return `${row.strategy}: ${formatNumber(row.answers)} answers from ${row.workersAnswering} workers on ${HOSTS} hosts, each counting alone; the largest answer was ${largest}.${lost}`;
  }
  if (row.scope === 'host') {
    return verdict.kind === 'split'
      ? `${row.strategy}: exact on each host (${shares}; ${formatNumber(verdict.true_total ?? 0)} together), yet no client saw more than ${largest}: each host has its own primary and its own disk.`
      : `${row.strategy}: ${verdict.sentences[0] ?? verdict.kind}`;
  }
  return verdict.kind === 'exact'
    ? `${row.strategy}: ${formatNumber(verdict.true_total ?? 0)} of ${formatNumber(verdict.expected)}, one store for the whole fleet.`
    : `${row.strategy}: ${verdict.sentences[0] ?? verdict.kind} Shared is not atomic, across hosts as within one.`;
};

/** Database calls for one id asked CACHE_REQUESTS times through the balancer, per worker cache and with Redis. */
const measureCaches = async (fleet: RunningFleet) => {
  const socket = fleet.ready.control_socket;
  const dbCalls = async (): Promise<number> =>
    (await readFleetView(socket)).hosts.reduce((sum, host) => sum + (host.cluster?.totals.db_calls ?? 0), 0);
  const once = async (path: string) => {
    const before = await dbCalls();
    const workers = new Set<number>();
    // One after another, so that the only way to share a database call is to share the cache.
    for (let request = 0; request < CACHE_REQUESTS; request += 1) {
      const { ok } = await hammer(`${fleet.ready.url}${path}`, 1, 1);
      for (const sample of ok) if (sample.workerPid !== undefined) workers.add(sample.workerPid);
    }
    return { calls: (await dbCalls()) - before, workers: workers.size };
  };
  const map = await once('/user/7');
  const redis = fleet.ready.redis.origin === 'none' ? null : await once('/user/redis/7');
  return { map, redis };
};

interface StickyClient {
  cookie: string | null;
  hosts: Set<string>;
  backwards: number;
  last: number;
}

/** STICKY_CLIENTS clients keeping their SERVERID cookie and as many dropping it, all at once. */
const runStickyClients = async (
  fleet: RunningFleet,
): Promise<{ keeping: StickyClient[]; dropping: StickyClient[] }> => {
  const client = async (keepCookie: boolean): Promise<StickyClient> => {
    const state: StickyClient = { cookie: null, hosts: new Set(), backwards: 0, last: 0 };
    for (let request = 0; request < STICKY_REQUESTS; request += 1) {
      const headers: Record<string, string> = state.cookie === null ? {} : { cookie: state.cookie };
      const {
        status,
        body,
        headers: answer,
      } = await requestJson<{ current_count?: number }>(`${fleet.ready.url}/counter/ipc`, { headers });
      if (status !== 200 || typeof body.current_count !== 'number') continue;
      const setCookie = [answer['set-cookie'] ?? []].flat().join(';');
      const given = /SERVERID=([^;]+)/.exec(setCookie)?.[1];
      if (keepCookie && given !== undefined) state.cookie = `SERVERID=${given}`;
      state.hosts.add(String(answer['x-worker-instance']));
      if (body.current_count < state.last) state.backwards += 1;
      state.last = body.current_count;
    }
    return state;
  };
  const all = await Promise.all([
    ...Array.from({ length: STICKY_CLIENTS }, () => client(true)),
    ...Array.from({ length: STICKY_CLIENTS }, () => client(false)),
  ]);
  return { keeping: all.slice(0, STICKY_CLIENTS), dropping: all.slice(STICKY_CLIENTS) };
};

const seconds = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);

const describeFailures = (outcome: FaultOutcome): string =>
  outcome.failed === 0
    ? 'none'
    : Object.entries(outcome.failures)
        .map(([what, count]) => `${what} ×${formatNumber(count)}`)
        .join(', ');

export const fleetLessons: Lesson[] = [
  {
    number: 10,
    title: 'The scope ladder through a real load balancer (and sticky sessions)',
    async run(stage, out) {
      const missing = await withoutHaproxy();
      if (missing !== null) return out(missing);
      const fleet = await startLessonFleet(stage, 10, ['--balance', 'sticky', '--', '--db-delay-ms', '50']);
      try {
        out(
          `A fleet: ${HOSTS} hosts × ${WORKERS} workers (each host a whole cluster: its own primary, its own data dir) behind HAProxy ${fleet.ready.haproxy.version}, one Redis.`,
        );
        out(
          `${formatNumber(LADDER_REQUESTS)} requests per route through the balancer, ${LADDER_CONCURRENCY} at a time, new connections, no cookie (so HAProxy takes the hosts in turn):`,
        );
        const rows = await climbLadder(fleet);
        const table = rows.map((row) => [
          `/counter/${row.strategy}`,
          row.scope,
          formatNumber(row.answers),
          formatNumber(row.verdict.largest_seen ?? 0),
          row.verdict.true_total === null ? '—' : formatNumber(row.verdict.true_total),
          row.verdict.shares.length > 1
            ? row.verdict.shares.map((share) => formatNumber(share.count)).join(' / ')
            : '—',
          row.verdict.kind === 'lost' ? `lost ${formatNumber(row.verdict.lost ?? 0)}` : row.verdict.kind,
        ]);
        const header = ['route', 'scope', 'answers', 'largest seen', 'true total', 'per host', 'verdict'];
        for (const line of formatTable(header, table, new Set([2, 3, 4, 5]))) out(`  ${line}`);
        out();
        for (const row of rows) out(ladderSentence(row));
        out(
          '"Shared" always has a scope: the primary is shared by one host\'s workers, a disk by one machine; only a store outside every host (Redis) is shared by the fleet.',
        );

        const caches = await measureCaches(fleet);
        out();
        out(
          `/user/7 asked ${CACHE_REQUESTS} times, one after another: the Map cache in each worker paid ${formatNumber(caches.map.calls)} database call(s) (${caches.map.workers} workers served it)` +
            (caches.redis === null
              ? '.'
              : `; /user/redis/7 paid ${formatNumber(caches.redis.calls)} for the whole fleet (${caches.redis.workers} workers served it).`),
        );

        const sticky = await runStickyClients(fleet);
        out();
        out(
          `Sticky sessions (--balance sticky: HAProxy sets SERVERID=<host>): ${STICKY_CLIENTS} clients keep the cookie, ${STICKY_CLIENTS} drop it; ${STICKY_REQUESTS} requests each to /counter/ipc, all at once:`,
        );
        const clientRows = [...sticky.keeping, ...sticky.dropping].map((client, index) => [
          String(index + 1),
          index < STICKY_CLIENTS ? (client.cookie ?? 'none given') : 'dropped',
          [...client.hosts].sort().join(', '),
          formatNumber(client.backwards),
          formatNumber(client.last),
        ]);
        for (const line of formatTable(
          ['client', 'cookie', 'hosts seen', 'went backwards', 'last answer'],
          clientRows,
          new Set([3, 4]),
        )) {
          out(`  ${line}`);
        }
        const view = await readFleetView(fleet.ready.control_socket);
        const perHost = Object.entries(view.strategies.ipc?.per_host ?? {})
          .map(([host, value]) => `${host} ${formatNumber(value ?? 0)}`)
          .join(', ');
        const keptBackwards = sticky.keeping.reduce((sum, client) => sum + client.backwards, 0);
        const droppedBackwards = sticky.dropping.reduce((sum, client) => sum + client.backwards, 0);
        out();
        out(
          keptBackwards === 0
            ? `With the cookie each client stayed on one host and its counter only went up: it looks right (${formatNumber(droppedBackwards)} steps backwards for the clients without it).`
            : `Even with the cookie, ${formatNumber(keptBackwards)} answers went backwards: a host's ipc counter is shared by every client on that host, which is fine, but this should not go back; look at the log.`,
        );
        out(
          `The totals still diverge: the ipc counter is ${perHost}; no client can see the fleet's total. Sticky sessions hide the split from one client; they do not share anything.`,
        );
        const skipped = NOT_REDIS(fleet);
        if (skipped !== null) out(skipped);
      } finally {
        await stage.group.stop(fleet.child);
      }
    },
  },
  {
    number: 15,
    title: 'Hosts failing behind the balancer: drain, SIGTERM, kill -9, and Redis killed',
    async run(stage, out) {
      const missing = await withoutHaproxy();
      if (missing !== null) return out(missing);
      const fleet = await startLessonFleet(stage, 15, []);
      try {
        const withRedis = fleet.ready.redis.origin !== 'none';
        out(
          `A fleet of ${HOSTS} hosts × ${WORKERS} workers behind HAProxy; steady load on /counter/${withRedis ? 'redis' : 'local'} through it (${FAULT_CONCURRENCY} at a time, new connections) while host-2 fails, then host-2 is started again:`,
        );
        const outcomes: FaultOutcome[] = [];
        for (const fault of ['drain', 'sigterm', 'kill'] as const)
          outcomes.push(await measureHostFault(fleet, 'host-2', fault));
        const names: Record<FaultOutcome['fault'], string> = {
          drain: 'drain, then SIGTERM',
          sigterm: `SIGTERM (${seconds(HOST_SHUTDOWN_DELAY_MS)} of 503 first)`,
          kill: 'kill -9 (its group)',
        };
        const rows = outcomes.map((outcome) => [
          names[outcome.fault],
          formatNumber(outcome.requests),
          formatNumber(outcome.failed),
          describeFailures(outcome),
          seconds(outcome.markedDownMs),
          seconds(outcome.backUpMs),
          outcome.counted === null ? '—' : `${formatNumber(outcome.answered)} / ${formatNumber(outcome.counted)}`,
        ]);
        const header = ['host-2', 'requests', 'failed', 'how', 'marked DOWN', 'UP after start', '2xx / counted'];
        for (const line of formatTable(header, rows, new Set([1, 2, 4, 5]))) out(`  ${line}`);
        out();
        const [drain, sigterm, kill] = outcomes as [FaultOutcome, FaultOutcome, FaultOutcome];
        out(
          `Drained first, the host got no new request, and stopping it cost ${formatNumber(drain.failed)} failed request(s). ` +
            `SIGTERM: the fleet starts every host with --shutdown-delay-ms ${HOST_SHUTDOWN_DELAY_MS}, so host-2 first answered /healthz 503 "draining" for ${seconds(HOST_SHUTDOWN_DELAY_MS)} while it served everything else; HAProxy marked it DOWN after ${seconds(sigterm.markedDownMs)}` +
            (sigterm.failed === 0
              ? `, before host-2 stopped accepting, and the SIGTERM cost no request. Without the delay (\`npm run fleet -- -- --shutdown-delay-ms 0\`) HAProxy keeps sending requests until its checks fail, and the few the host had accepted as it closed its socket are reset: HAProxy does not resend a request a host may have acted on.`
              : (sigterm.markedDownMs ?? 0) > HOST_SHUTDOWN_DELAY_MS
                ? `, later than the delay, and ${formatNumber(sigterm.failed)} request(s) failed: the checks took longer than the delay on this machine; a longer --shutdown-delay-ms covers it.`
                : `, and still ${formatNumber(sigterm.failed)} request(s) failed (see the "how" column).`),
        );
        out(
          `kill -9 of the whole host cost ${formatNumber(kill.failed)}: the requests it had in hand when it died (HAProxy does not retry a request a host may have acted on). HAProxy marked it DOWN after ${seconds(kill.markedDownMs)}, and saw it UP ${seconds(kill.backUpMs)} after it was started again.`,
        );
        if (withRedis) {
          const lostAnswered = outcomes.filter(
            (outcome) => outcome.counted !== null && outcome.counted < outcome.answered,
          );
          out(
            lostAnswered.length === 0
              ? 'Redis counted every increment that was answered 2xx, in every case (a count above the 2xx answers is an increment whose answer died with its host).'
              : `Redis counted fewer increments than 2xx answers in ${lostAnswered.map((outcome) => outcome.fault).join(', ')}: that should not happen.`,
          );
          const view = await readFleetView(fleet.ready.control_socket);
          const pid = view.fleet.redis.pid;
          if (pid !== null) {
            const outage = await measureRedisOutage(fleet, pid);
            out();
            out(
              `Redis killed (SIGKILL) under load on /counter/redis: ${outage.hosts
                .map(
                  (host) =>
                    `${host.instance} answered 503 after ${formatNumber(host.first503Ms)} ms and 200 again after ${formatNumber(host.back200Ms)} ms`,
                )
                .join('; ')}. ` +
                `Through the balancer ${formatNumber(outage.status503)} of ${formatNumber(outage.requests)} requests got 503 meanwhile, ${formatNumber(outage.otherFailures)} failed otherwise. ` +
                'The fleet restarted its redis-server (same port, same password, its append-only file), and every host reconnected by itself; HAProxy kept both hosts UP, since /healthz does not fail on Redis.',
            );
          }
        } else {
          out(NOT_REDIS(fleet) ?? '');
        }
      } finally {
        await stage.group.stop(fleet.child);
      }
    },
  },
];
