// The fleet with the real HAProxy: two lab clusters ("hosts") behind it, one Redis. What a team meets
// behind a load balancer — host-scoped "shared" state split across hosts, only Redis exact — measured
// through the balancer, and every process gone after SIGTERM.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import type { FleetView } from '../../tools/fleet/view.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, isAlive, makeTempDir, pathWithoutRedis, removeTempDirs } from '../helpers/cluster.js';
import { FLEET_CLI, startTestFleet, stopAllFleets, stopTestFleet } from '../helpers/fleet.js';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser | undefined;

afterEach(async () => {
  await stopAllFleets();
  await removeTempDirs();
});
afterAll(async () => {
  await browser?.close();
});

const runFleetCli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [FLEET_CLI, ...args], { reject: false, env, timeout: 30_000 });

describe('npm run fleet', () => {
  it('prints a configuration HAProxy accepts: health checks, retries, redispatch, a cookie per host when sticky', async () => {
    const { exitCode, stdout } = await runFleetCli([
      '--print-config',
      '--hosts',
      '3',
      '--balance',
      'sticky',
      '--port',
      '0',
    ]);
    expect(exitCode).toBe(0);
    const file = join(await makeTempDir(), 'haproxy.cfg');
    await writeFile(file, `${stdout}\n`); // execa strips the last newline, which HAProxy requires
    const check = await execa('haproxy', ['-c', '-f', file], { reject: false });
    expect(check.exitCode, check.stderr).toBe(0);
    expect(stdout).toContain('option httpchk GET /healthz');
    expect(stdout).toMatch(/^ {4}retries 3$/m);
    expect(stdout).toContain('option redispatch');
    expect(stdout).toContain('cookie SERVERID insert indirect nocache');
    for (const host of ['host-1', 'host-2', 'host-3']) {
      expect(stdout).toMatch(new RegExp(`server ${host} 127\\.0\\.0\\.1:\\d+ check cookie ${host}$`, 'm'));
    }
    expect(stdout).toMatch(/stats socket ".*haproxy\.sock" mode 600 level admin/);
    for (const balance of ['roundrobin', 'leastconn', 'source']) {
      const other = await runFleetCli(['--print-config', '--balance', balance, '--port', '0']);
      await writeFile(file, `${other.stdout}\n`);
      expect((await execa('haproxy', ['-c', '-f', file], { reject: false })).exitCode, balance).toBe(0);
      expect(other.stdout).toContain(`    balance ${balance}\n`);
    }
  });

  it('exits 2 without haproxy on PATH, naming the command that installs it, before starting anything', async () => {
    const dataDir = join(await makeTempDir(), 'fleet');
    const { exitCode, stderr } = await runFleetCli(['--port', '0', '--data-dir', dataDir], {
      PATH: await pathWithoutRedis(),
    });
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toMatch(/^fleet: HAProxy is not installed.*`apt-get install -y haproxy`/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    [['--balance', 'random'], 'Expected `--balance` to be one of roundrobin, leastconn, source, sticky, got `random`.'],
    [['--hosts', '0'], 'Expected `--hosts` to be an integer from 1 to 16, got `0`.'],
    [['--', '--port', '4000'], '`--port` after `--` is set by the fleet for each host'],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const { exitCode, stderr } = await runFleetCli(args);
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toContain(`fleet: ${message}`);
  });

  it('answers from both hosts through HAProxy; file and ipc split across hosts, redis exact; /fleet shows it; SIGTERM leaves nothing', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '2']);
    const { url } = fleet.ready;
    expect(fleet.ready.hosts.map((host) => host.instance)).toEqual(['host-1', 'host-2']);

    // 200 answers from both instances, in bodies and headers.
    const seen = new Set<string>();
    for (let request = 0; request < 8; request += 1) {
      const { status, body, headers } = await getJson<{ worker: { instance: string } }>(`${url}/counter/local`);
      expect(status).toBe(200);
      expect(headers['x-worker-instance']).toBe(body.worker.instance);
      seen.add(body.worker.instance);
    }
    expect([...seen].sort()).toEqual(['host-1', 'host-2']);

    const hammer = async (path: string) => {
      const { samples } = await runLoad({ urls: [`${url}${path}`], requests: 400, concurrency: 20 });
      expect(samples.filter((sample) => sample.status === 200)).toHaveLength(400);
      return Math.max(...samples.map((sample) => sample.count ?? 0));
    };
    const hostValue = async (host: { url: string }, strategy: string): Promise<number | null> =>
      (await getJson<ClusterStats>(`${host.url}/cluster`)).body.strategies[strategy]?.value ?? null;

    for (const strategy of ['file', 'ipc']) {
      const largest = await hammer(`/counter/${strategy}`);
      const shares = await Promise.all(fleet.ready.hosts.map((host) => hostValue(host, strategy)));
      // Each host's store holds its share, exactly; together they make 400; no answer ever said 400.
      expect(largest).toBeLessThan(400);
      for (const share of shares) expect(share).toBeGreaterThan(0);
      expect((shares as number[]).reduce((sum, value) => sum + value, 0)).toBe(400);
      expect(largest).toBe(Math.max(...(shares as number[])));
    }
    expect(await hammer('/counter/redis')).toBe(400);
    for (const host of fleet.ready.hosts) expect(await hostValue(host, 'redis')).toBe(400);

    // /fleet, through the balancer: both hosts, their workers, HAProxy's view of each, the verdicts.
    const { status, body: view } = await getJson<FleetView>(`${url}/fleet`);
    expect(status).toBe(200);
    expect(view.hosts.map((host) => host.instance)).toEqual(['host-1', 'host-2']);
    for (const host of view.hosts) {
      expect(host.balancer?.status).toBe('UP');
      expect(host.balancer?.check).toBe('L7OK');
      expect(host.balancer?.total_sessions).toBeGreaterThan(0);
      expect(host.cluster?.workers.map((worker) => worker.instance)).toEqual([host.instance, host.instance]);
      expect(host.cluster?.workers.map((worker) => worker.pid).sort()).toEqual(
        fleet.ready.hosts
          .find((ready) => ready.instance === host.instance)
          ?.workers.map((worker) => worker.pid)
          .sort(),
      );
    }
    expect(view.strategies.file?.verdict.kind).toBe('split');
    expect(view.strategies.file?.verdict.true_total).toBe(400);
    expect(view.strategies.ipc?.verdict.kind).toBe('split');
    expect(view.strategies.redis?.verdict).toMatchObject({ kind: 'exact', expected: 400, true_total: 400 });
    // The view is read-only through the balancer.
    const post = await getJson<{ error: string }>(`${url}/fleet`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.body.error).toBe('E_METHOD_NOT_ALLOWED');

    const pids = fleet.pids();
    expect(pids).toContain(fleet.ready.haproxy.pid);
    expect(pids).toContain(fleet.ready.redis.pid);
    expect(await stopTestFleet(fleet)).toBe(0);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(fleet.ready.control_socket)).toBe(false);
  });

  it('serves its page through the balancer, drawn from /fleet: every host with HAProxy status UP', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '1']);
    browser ??= await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--headless', '--no-sandbox'] });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') violations.push(message.text());
      });
      const response = await page.goto(`${fleet.ready.url}/fleet/dashboard`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      await page.waitForSelector('section.host[data-instance="host-2"][data-status="UP"]', { timeout: 15_000 });
      await page.waitForSelector('section.host[data-instance="host-1"][data-status="UP"]', { timeout: 15_000 });
      expect(await page.locator('tr[data-strategy="redis"]').count()).toBe(1);
      expect(await page.locator('section.host tr[data-worker]').count()).toBe(2);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
