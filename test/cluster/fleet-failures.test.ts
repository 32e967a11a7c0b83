// Hosts failing behind the real HAProxy, under load: a host's whole process group killed, a host
// drained through the Runtime API, a sticky client, Redis killed. Faults are real (SIGKILL to a
// process group, SIGTERM), and every wait is for a state HAProxy or the hosts report.
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { hostAction, readFleetView } from '../../tools/fleet/ready-event.js';
import { createRuntimeApi } from '../../tools/fleet/runtime-api.js';
import { runLoad, type Sample } from '../../tools/hammer/load.js';
import { getJson, isAlive, removeTempDirs, waitFor } from '../helpers/cluster.js';
import { serverStat, startTestFleet, stopAllFleets, type TestFleet } from '../helpers/fleet.js';
import { testRedis } from '../helpers/redis.js';

afterEach(async () => {
  await stopAllFleets();
  await removeTempDirs();
});

/** HAProxy marks a dead host DOWN within this (the bound; about 0.3–0.8 s on an idle machine). */
const MARKED_DOWN_WITHIN_MS = 3000;

/** Steady load through the balancer; `answers(n)` waits until n more have come back. */
const steadyLoad = (url: string) => {
  const samples: { sample: Sample; startedAt: number }[] = [];
  const stop = new AbortController();
  const done = runLoad({
    urls: [url],
    durationMs: 120_000,
    concurrency: 10,
    keepSamples: false,
    signal: stop.signal,
    onSample: (sample) => samples.push({ sample, startedAt: performance.now() - sample.ms }),
  });
  return {
    samples,
    answers: (count: number) => {
      const target = samples.length + count;
      return waitFor(() => (samples.length >= target ? true : undefined), 60_000, `${count} more answers`);
    },
    finish: async () => {
      stop.abort();
      await done;
      return samples.map((entry) => entry.sample);
    },
  };
};

const ok = (sample: Sample): boolean => sample.status === 200 && sample.error === undefined;

const redisValue = async (fleet: TestFleet): Promise<number> =>
  (await readFleetView(fleet.ready.control_socket)).strategies.redis?.value ?? Number.NaN;

describe('hosts failing behind HAProxy', () => {
  it('takes a killed host out within 3 s and keeps answering 200; Redis loses nothing answered; the host comes back', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '2']);
    const [, host2] = fleet.ready.hosts;
    if (host2 === undefined) throw new Error('no host-2');
    const before = await redisValue(fleet);
    const load = steadyLoad(`${fleet.ready.url}/counter/redis`);
    await load.answers(200);

    const killedAt = performance.now();
    process.kill(-host2.primary_pid, 'SIGKILL');
    const downAt = await waitFor(
      async () => ((await serverStat(fleet, 'host-2'))?.status === 'DOWN' ? performance.now() : undefined),
      30_000,
      'HAProxy to mark host-2 DOWN',
    );
    expect(downAt - killedAt).toBeLessThan(MARKED_DOWN_WITHIN_MS);
    for (const pid of [host2.primary_pid, ...host2.workers.map((worker) => worker.pid)])
      expect(isAlive(pid)).toBe(false);
    await load.answers(300);
    const samples = await load.finish();
    const startedAfterDown = load.samples.filter((entry) => entry.startedAt > downAt).map((entry) => entry.sample);
    expect(startedAfterDown.length).toBeGreaterThanOrEqual(250);
    expect(startedAfterDown.filter((sample) => !ok(sample))).toEqual([]);
    expect(
      startedAfterDown.every(
        (sample) => sample.workerPid !== undefined && !host2.workers.some((w) => w.pid === sample.workerPid),
      ),
    ).toBe(true);

    // Only what host-2 had in hand when it died failed; Redis holds every increment answered 2xx.
    const answered = samples.filter(ok).length;
    const failed = samples.length - answered;
    const counted = (await redisValue(fleet)) - before;
    expect(counted).toBeGreaterThanOrEqual(answered);
    expect(counted).toBeLessThanOrEqual(answered + failed);

    // Started again (same port), HAProxy sees it UP and sends it requests.
    await hostAction(fleet.ready.control_socket, 'host-2', 'start');
    await waitFor(
      async () => ((await serverStat(fleet, 'host-2'))?.status === 'UP' ? true : undefined),
      30_000,
      'host-2 UP again',
    );
    await waitFor(
      async () =>
        (await getJson(`${fleet.ready.url}/counter/local`)).headers['x-worker-instance'] === 'host-2'
          ? true
          : undefined,
      30_000,
      'an answer from host-2 through the balancer',
    );
  });

  it('drains a host through the Runtime API under load, then stops it (SIGTERM), with no failed request', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '1']);
    const [, host2] = fleet.ready.hosts;
    if (host2 === undefined) throw new Error('no host-2');
    const api = createRuntimeApi(fleet.ready.haproxy.stats_socket);
    const load = steadyLoad(`${fleet.ready.url}/counter/local`);
    await load.answers(200);

    await api.setServerState('hosts', 'host-2', 'drain');
    expect((await serverStat(fleet, 'host-2'))?.status).toBe('DRAIN');
    await waitFor(
      async () => ((await serverStat(fleet, 'host-2'))?.current_sessions === 0 ? true : undefined),
      30_000,
      'host-2 drained',
    );
    const drainedAt = performance.now();
    process.kill(host2.primary_pid, 'SIGTERM');
    await waitFor(() => (isAlive(host2.primary_pid) ? undefined : true), 30_000, 'host-2 to exit');
    await load.answers(300);
    const samples = await load.finish();

    expect(samples.filter((sample) => !ok(sample))).toEqual([]);
    const afterDrain = load.samples.filter((entry) => entry.startedAt > drainedAt);
    expect(afterDrain.length).toBeGreaterThanOrEqual(300);
    expect(afterDrain.every((entry) => entry.sample.workerPid !== host2.workers[0]?.pid)).toBe(true);
  });

  it('takes a host out before it stops accepting when it gets SIGTERM, from a user or from the fleet (restart): no failed request', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '2']);
    const [, host2] = fleet.ready.hosts;
    if (host2 === undefined) throw new Error('no host-2');
    const socket = fleet.ready.control_socket;
    const before = await redisValue(fleet);
    const load = steadyLoad(`${fleet.ready.url}/counter/redis`);
    await load.answers(200);
    const isUp = async () => ((await serverStat(fleet, 'host-2'))?.status === 'UP' ? true : undefined);

    // A user's plain SIGTERM to the host's primary: the host fails its checks first, HAProxy takes it
    // out on a 503 (not on a refused connection), and only then does the host stop accepting.
    process.kill(host2.primary_pid, 'SIGTERM');
    await fleet.waitForLog(/host-2: SIGTERM: \/healthz answers 503 .{1,4}draining.{1,4} for 1500 ms.*"shutdown-delay"/);
    await fleet.waitForLog(/Server hosts\/host-2 is DOWN, reason: Layer7 wrong status, code: 503/);
    await waitFor(() => (isAlive(host2.primary_pid) ? undefined : true), 30_000, 'host-2 to exit');
    await load.answers(200);

    // Back, and then the fleet's own restart (SIGTERM, wait for the exit, start) under the same load.
    await hostAction(socket, 'host-2', 'start');
    await waitFor(isUp, 30_000, 'host-2 UP again');
    await load.answers(100);
    await hostAction(socket, 'host-2', 'restart');
    await waitFor(isUp, 30_000, 'host-2 UP after its restart');
    await load.answers(200);
    const samples = await load.finish();

    expect(samples.filter((sample) => !ok(sample))).toEqual([]);
    // Both stops were seen by the checks: two DOWNs, none of them on a refused connection.
    expect((await serverStat(fleet, 'host-2'))?.downs).toBe(2);
    expect(fleet.stderrTail()).not.toMatch(/host-2 is DOWN, reason: Layer4/);
    // Every request answered 2xx was counted once, and nothing else was (none failed).
    expect((await redisValue(fleet)) - before).toBe(samples.length);
  });

  it('keeps a sticky client on one host while the totals diverge; the hosts share the Redis given to the fleet', async () => {
    const prefix = `fleet-test-${process.pid}-${Date.now()}:`;
    const fleet = await startTestFleet(
      ['--hosts', '2', '--workers', '1', '--balance', 'sticky', '--', '--redis-prefix', prefix],
      {
        REDIS_URL: inject('redisUrl'),
      },
    );
    expect(fleet.ready.redis.origin).toBe('url');
    const url = `${fleet.ready.url}/counter/ipc`;

    const first = await getJson<{ worker: { instance: string } }>(url);
    const cookie = /SERVERID=[^;]+/.exec([first.headers['set-cookie'] ?? []].flat().join(';'))?.[0];
    expect(cookie).toBe(`SERVERID=${first.body.worker.instance}`);
    const stuck = new Set<string>();
    let last = 0;
    for (let request = 0; request < 20; request += 1) {
      const { body } = await getJson<{ current_count: number; worker: { instance: string } }>(url, {
        headers: { cookie: cookie ?? '' },
      });
      stuck.add(body.worker.instance);
      expect(body.current_count).toBeGreaterThan(last);
      last = body.current_count;
    }
    expect([...stuck]).toEqual([first.body.worker.instance]);

    const free = new Set<string>();
    for (let request = 0; request < 20; request += 1) {
      free.add((await getJson<{ worker: { instance: string } }>(url)).body.worker.instance);
    }
    expect([...free].sort()).toEqual(['host-1', 'host-2']);
    // 41 increments in all; each host's ipc counter holds only its own.
    const values = await Promise.all(
      fleet.ready.hosts.map(
        async (host) => (await getJson<ClusterStats>(`${host.url}/cluster`)).body.strategies.ipc?.value ?? 0,
      ),
    );
    expect(values.reduce((sum, value) => sum + value, 0)).toBe(41);
    expect(Math.max(...values)).toBeLessThan(41);

    for (let request = 0; request < 10; request += 1)
      expect((await getJson(`${fleet.ready.url}/counter/redis`)).status).toBe(200);
    const redis = testRedis();
    try {
      expect(await redis.get(`${prefix}counter`)).toBe('10');
    } finally {
      redis.disconnect();
    }
  });

  it('answers 503 on every host while its Redis is down, and 200 again by itself once the fleet restarts it', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '1']);
    const redisPid = (await readFleetView(fleet.ready.control_socket)).fleet.redis.pid;
    if (redisPid === null) throw new Error('no private redis-server');
    for (const host of fleet.ready.hosts) expect((await getJson(`${host.url}/counter/redis`)).status).toBe(200);

    process.kill(redisPid, 'SIGKILL');
    await Promise.all(
      fleet.ready.hosts.map(async (host) => {
        await waitFor(
          async () => ((await getJson(`${host.url}/counter/redis`)).status === 503 ? true : undefined),
          30_000,
          `${host.instance} to answer 503`,
        );
        await waitFor(
          async () => ((await getJson(`${host.url}/counter/redis`)).status === 200 ? true : undefined),
          30_000,
          `${host.instance} to answer 200 again`,
        );
      }),
    );
    // HAProxy never took a host out for it: /healthz does not fail on Redis.
    for (const host of fleet.ready.hosts) expect((await serverStat(fleet, host.instance))?.downs).toBe(0);
    await fleet.waitForLog(/private redis-server restarted/);
  });
});
