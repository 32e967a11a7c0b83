// `npm run bench` end to end on a short run: the JSON's shape, exact counts, the report, and no
// process left behind. Not the speed: that is for BENCHMARKS.md, not for a test on a shared machine.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoadRunner } from '../../tools/bench/load.js';
import { measureRoute } from '../../tools/bench/measure-route.js';
import type { BenchResult } from '../../tools/bench/result.js';
import { describeRoute } from '../../tools/bench/routes.js';
import { ProcessGroup, startServer } from '../../tools/lib/processes.js';
import { isAlive } from '../helpers/cluster.js';

const BENCH = fileURLToPath(new URL('../../dist/tools/bench.js', import.meta.url));
const BASELINE = fileURLToPath(new URL('../../dist/tools/bench/baseline-server.js', import.meta.url));
const BENCH_TIMEOUT_MS = 240_000;
const ROUTES = ['/counter/local', '/counter/redis'];

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('npm run bench', () => {
  it(
    'measures the asked routes against the baseline, finds their counts exact and leaves nothing running',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
      const out = join(dir, 'BENCHMARKS.md');
      const args = ['--duration', '1', '--scaling', '1,2', '--routes', ROUTES.join(','), '--json', '--out', out];
      const run = await execa('node', [BENCH, ...args], { reject: false, timeout: BENCH_TIMEOUT_MS });
      expect(run.exitCode, run.stderr).toBe(0);

      const result = JSON.parse(run.stdout) as BenchResult;
      expect(result).toMatchObject({
        version: 1,
        command: `npm run bench -- ${args.join(' ')}`,
        options: { workers: 2, connections: 50, duration_s: 1, routes: ROUTES, scaling: [1, 2] },
        machine: { cpus: expect.any(Number), node: process.version },
        lab: { workers: 2, ready_ms: expect.any(Number) },
        baseline: { workers: 2, requests_per_s: expect.any(Number) },
      });
      expect(result.machine.redis).toMatch(/^\d+\.\d+/);
      expect(result.routes.map((route) => route.route)).toEqual(ROUTES);
      for (const route of result.routes) {
        expect(route, route.reason ?? '').toMatchObject({ kind: 'counter', available: true, reason: null });
        // A B C C B A: two runs of each floor and two of the lab, each with autocannon's figures.
        expect(route.runs.baseline).toHaveLength(2);
        expect(route.runs.hono).toHaveLength(2);
        expect(route.runs.lab).toHaveLength(2);
        for (const run of [...route.runs.baseline, ...route.runs.hono, ...route.runs.lab]) {
          expect(run).toMatchObject({ requests_per_s: expect.any(Number), latency_p99_ms: expect.any(Number) });
          expect(run.ok_2xx).toBeGreaterThan(0);
        }
        expect(route.requests_per_s).toBeGreaterThan(0);
        expect(route.ratio).toBeGreaterThan(0);
        expect(route.hono_ratio).toBeGreaterThan(0);
        expect(route.hono_cpu_us_per_request).toBeGreaterThan(0);
        expect(route.exact).not.toBeNull();
        expect(route.exact?.ok_2xx).toBe(route.exact?.requests);
        expect(route.exact?.counted).toBe(route.exact?.requests);
        expect(route.exact?.exact).toBe(true);
      }
      expect(result.targets.map((target) => target.id)).toEqual([
        'local-vs-baseline',
        'lru-vs-baseline',
        'ipc-vs-local',
        'redis-vs-local',
        'file-exact',
        'file-vs-lockfile',
        'ready-4-workers',
        'idle-rss',
        'local-cpu-vs-hono',
        'local-rps-vs-hono',
        'lru-cpu-vs-hono',
        'lru-rps-vs-hono',
        'file-4-vs-2',
        'rss-after-load',
      ]);
      // Every route at each worker count, the main table being the 2-worker step.
      expect(result.scaling.map((step) => step.workers)).toEqual([1, 2]);
      for (const step of result.scaling) {
        expect(step.routes.map((route) => route.route)).toEqual(ROUTES);
        expect(step.worker_rss_mb.idle_at_start).toHaveLength(step.workers);
        expect(step.worker_rss_mb.idle_after_load).toHaveLength(step.workers);
      }
      expect(result.scaling[1]?.routes).toEqual(result.routes);
      for (const target of result.targets) expect([true, false, null]).toContain(target.met);
      expect(result.targets.find((target) => target.id === 'ipc-vs-local')?.met).toBeNull();
      expect(result.four_workers?.worker_rss_mb_idle).toHaveLength(4);

      // The fleet row: /counter/redis through HAProxy (2 hosts × 1 worker) against one cluster of 2.
      const fleet = result.fleet_comparison;
      expect(fleet).toMatchObject({ route: '/counter/redis', ratio: expect.any(Number) });
      for (const side of [fleet?.cluster, fleet?.fleet]) {
        expect(side?.runs).toHaveLength(2);
        expect(side?.exact.exact).toBe(true);
      }

      for (const route of ROUTES) expect(run.stderr).toContain(route);
      expect(run.stderr).toMatch(/\[ ?1\/2\] \/counter\/local .* req\/s/);
      const report = await readFile(out, 'utf8');
      expect(report).toContain('## Targets');
      expect(report).toContain('## Scaling: 1, 2 workers');
      expect(report).toMatch(/\| `\/counter\/local` \| [\d,]+ · .* \| [\d,]+ · .* \|/);
      expect(report).toMatch(/\| `\/counter\/redis` \| [\d,]+ \|.*\| yes \(/);
      expect(report).toMatch(/\| HAProxy → 2 hosts × 1 worker \| [\d,]+ \|/);

      expect(result.pids.length).toBeGreaterThan(4);
      expect(result.pids.filter(isAlive)).toEqual([]);
    },
    BENCH_TIMEOUT_MS + 10_000,
  );

  it('reports a route the server answers with 404 as not available instead of failing', async () => {
    const group = new ProcessGroup();
    try {
      // The bare baseline only knows /counter: it stands in for a lab that lacks a route.
      const server = await startServer({
        group,
        label: 'baseline',
        args: [BASELINE, '--workers', '1', '--port', '0'],
      });
      const route = await measureRoute(
        {
          // Never asked to run here: a 404 stops the route before any load.
          load: createLoadRunner(group),
          labUrl: server.url,
          labWorkerPids: server.workerPids,
          labPids: server.workerPids,
          bare: { url: server.url, pids: server.workerPids },
          hono: { url: server.url, pids: server.workerPids },
          connections: 2,
          durationS: 0.5,
          signal: new AbortController().signal,
        },
        describeRoute('/counter/file'),
      );
      expect(route).toMatchObject({ route: '/counter/file', available: false, requests_per_s: null, exact: null });
      expect(route.reason).toContain('404');
    } finally {
      await group.stopAll();
    }
    expect([...group.started].filter(isAlive)).toEqual([]);
  });

  it('refuses an unknown route with one line and exit code 2', async () => {
    const run = await execa('node', [BENCH, '--routes', '/counter/nope'], { reject: false, timeout: 20_000 });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('Expected `--routes` to be a comma-separated list of');
  });
});
