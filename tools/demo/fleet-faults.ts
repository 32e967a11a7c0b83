// Lesson 15's measurements: a fleet under steady load through HAProxy while one host is drained,
// stopped (SIGTERM) or killed (SIGKILL to its whole process group), and while Redis is killed. Each
// counts the requests that failed, times how long HAProxy took to mark the host DOWN (polling its
// Runtime API) and to see it UP after a restart, and checks the exact counter against the 2xx answers.
import { sleep } from '../../src/sleep.js';
import { BACKEND } from '../fleet/haproxy-config.js';
import { hostAction, type RunningFleet, readFleetView } from '../fleet/ready-event.js';
import { createRuntimeApi, type RuntimeApi } from '../fleet/runtime-api.js';
import { runLoad } from '../hammer/load.js';
import { requestJson } from '../lib/http-json.js';

/** Steady load: a new connection per request, this many at a time. */
export const FAULT_CONCURRENCY = 10;
/** Answers before the fault (the load is steady) and after it (the fleet carries on without the host). */
const ANSWERS_BEFORE = 300;
const ANSWERS_AFTER = 600;
const WAIT_TIMEOUT_MS = 30_000;
const POLL_MS = 20;

export type FaultName = 'drain' | 'sigterm' | 'kill';

export interface FaultOutcome {
  fault: FaultName;
  requests: number;
  ok: number;
  /** Failed requests by status or error code (`502`, `ECONNRESET`). */
  failures: Record<string, number>;
  failed: number;
  /** From the fault to HAProxy's DOWN (null for a drain: the host was taken out before it stopped). */
  markedDownMs: number | null;
  /** From `start` to HAProxy's UP again. */
  backUpMs: number | null;
  /** The exact counter under load: 2xx answers, and how far Redis moved. */
  answered: number;
  counted: number | null;
}

const statusOf = async (api: RuntimeApi, host: string): Promise<string> =>
  (await api.showStat()).find((stat) => stat.proxy === BACKEND && stat.name === host)?.status ?? 'missing';

/** Poll HAProxy's view until `accept(status)`; the time it took. */
export const waitForStatus = async (
  api: RuntimeApi,
  host: string,
  accept: (status: string) => boolean,
  since = performance.now(),
): Promise<number> => {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const status = await statusOf(api, host);
    if (accept(status)) return Math.round(performance.now() - since);
    if (Date.now() > deadline) throw new Error(`HAProxy still says ${host} is ${status} after ${WAIT_TIMEOUT_MS} ms.`);
    await sleep(POLL_MS);
  }
};

const isDown = (status: string): boolean =>
  status === 'DOWN' || status === 'MAINT (DOWN)' || status.startsWith('DOWN ');
const isUp = (status: string): boolean => status === 'UP';

const redisCount = async (fleet: RunningFleet): Promise<number | null> =>
  (await readFleetView(fleet.ready.control_socket)).strategies.redis?.value ?? null;

interface Tally {
  requests: number;
  ok: number;
  failures: Record<string, number>;
}

/** Start the load; `untilMore(n)` resolves once n more answers have come back. */
const startLoad = (url: string) => {
  const tally: Tally = { requests: 0, ok: 0, failures: {} };
  const waiters: { at: number; resolve: () => void }[] = [];
  const stop = new AbortController();
  const done = runLoad({
    urls: [url],
    durationMs: 120_000,
    concurrency: FAULT_CONCURRENCY,
    keepSamples: false,
    signal: stop.signal,
    onSample: (sample) => {
      tally.requests += 1;
      if (sample.status !== null && sample.status >= 200 && sample.status < 300 && sample.error === undefined) {
        tally.ok += 1;
      } else {
        const key = sample.error ?? String(sample.status);
        tally.failures[key] = (tally.failures[key] ?? 0) + 1;
      }
      for (const waiter of [...waiters]) {
        if (tally.requests >= waiter.at) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
  });
  const untilMore = (count: number): Promise<void> =>
    new Promise((resolve) => {
      waiters.push({ at: tally.requests + count, resolve });
    });
  /** Run `steps` under the load, then stop it (whatever happened) and hand back the tally. */
  const during = async (steps: () => Promise<void>): Promise<Tally> => {
    try {
      await steps();
    } finally {
      stop.abort();
      await done;
    }
    return tally;
  };
  return { untilMore, during };
};

/** One fault on `host` under load on /counter/redis (or /counter/local without Redis), then the host back. */
export const measureHostFault = async (fleet: RunningFleet, host: string, fault: FaultName): Promise<FaultOutcome> => {
  const api = createRuntimeApi(fleet.ready.haproxy.stats_socket);
  const socket = fleet.ready.control_socket;
  const withRedis = fleet.ready.redis.origin !== 'none';
  const before = withRedis ? await redisCount(fleet) : null;
  const load = startLoad(`${fleet.ready.url}/counter/${withRedis ? 'redis' : 'local'}`);
  let markedDownMs: number | null = null;
  const tally = await load.during(async () => {
    await load.untilMore(ANSWERS_BEFORE);
    if (fault === 'drain') {
      // Drain: no new request goes to it; wait until it has none left, then stop it.
      await hostAction(socket, host, 'drain');
      const deadline = Date.now() + WAIT_TIMEOUT_MS;
      while ((await api.showStat()).some((stat) => stat.name === host && stat.current_sessions > 0)) {
        if (Date.now() > deadline) throw new Error(`${host} still had sessions ${WAIT_TIMEOUT_MS} ms after drain.`);
        await sleep(POLL_MS);
      }
      await hostAction(socket, host, 'stop');
    } else {
      const since = performance.now();
      const stopped = hostAction(socket, host, fault === 'kill' ? 'kill' : 'stop');
      markedDownMs = await waitForStatus(api, host, isDown, since);
      await stopped;
    }
    await load.untilMore(ANSWERS_AFTER);
  });
  const after = withRedis ? await redisCount(fleet) : null;
  // Back: start it, make it ready again in HAProxy (a drained host stays drained until told), wait for UP.
  const restartedAt = performance.now();
  await hostAction(socket, host, 'start');
  if (fault === 'drain') await hostAction(socket, host, 'ready');
  const backUpMs = await waitForStatus(api, host, isUp, restartedAt);
  const failed = Object.values(tally.failures).reduce((sum, value) => sum + value, 0);
  return {
    fault,
    requests: tally.requests,
    ok: tally.ok,
    failures: { ...tally.failures },
    failed,
    markedDownMs,
    backUpMs,
    answered: tally.ok,
    counted: before === null || after === null ? null : after - before,
  };
};
export interface RedisOutage {
  /** Per host: from the kill to its first 503, and to its first 200 again. */
  hosts: { instance: string; first503Ms: number; back200Ms: number }[];
  /** Through the balancer under load meanwhile. */
  requests: number;
  status503: number;
  otherFailures: number;
}

/** Kill the fleet's private redis-server under load; each host is asked directly until it answers 503, then 200. */
export const measureRedisOutage = async (fleet: RunningFleet, redisPid: number): Promise<RedisOutage> => {
  const load = startLoad(`${fleet.ready.url}/counter/redis`);
  await load.untilMore(ANSWERS_BEFORE);
  const killedAt = performance.now();
  process.kill(redisPid, 'SIGKILL');
  const watch = async (instance: string, url: string) => {
    const ask = async (): Promise<number> =>
      (await requestJson(`${url}/counter/redis`, { timeoutMs: 5000 }).catch(() => ({ status: 0 }))).status;
    const deadline = Date.now() + WAIT_TIMEOUT_MS;
    let first503Ms = -1;
    for (;;) {
      const status = await ask();
      if (first503Ms < 0 && status === 503) first503Ms = Math.round(performance.now() - killedAt);
      if (first503Ms >= 0 && status === 200)
        return { instance, first503Ms, back200Ms: Math.round(performance.now() - killedAt) };
      if (Date.now() > deadline)
        throw new Error(`${instance} did not go 503 and back to 200 within ${WAIT_TIMEOUT_MS} ms.`);
      await sleep(POLL_MS);
    }
  };
  let hosts: RedisOutage['hosts'] = [];
  const tally = await load.during(async () => {
    hosts = await Promise.all(fleet.ready.hosts.map((host) => watch(host.instance, host.url)));
  });
  const status503 = tally.failures['503'] ?? 0;
  const failed = Object.values(tally.failures).reduce((sum, value) => sum + value, 0);
  return { hosts, requests: tally.requests, status503, otherFailures: failed - status503 };
};
