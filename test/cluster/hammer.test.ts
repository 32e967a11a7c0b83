import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { HammerReport } from '../../tools/hammer/report.js';
import { startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const HAMMER = fileURLToPath(new URL('../../dist/tools/hammer.js', import.meta.url));
const RUN_TIMEOUT_MS = 60_000;

const hammer = (args: string[]) => execa('node', [HAMMER, ...args], { reject: false, timeout: RUN_TIMEOUT_MS });

const hammerJson = async (args: string[]): Promise<HammerReport> => {
  const result = await hammer([...args, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as HammerReport;
};

/** A port nothing listens on: bound, then closed again. */
const closedPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

describe('npm run hammer against real clusters', () => {
  it('shows 4 workers counting /counter/local alone: nothing lost, but the largest count falls short of 400', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const report = await hammerJson([`${cluster.url}/counter/local`, '-n', '400', '-c', '20']);

    expect(report).toMatchObject({ requests: 400, ok: 400, failed: 0, counted: 400, min_seen: 1, expected: 400 });
    expect(report.workers.reduce((sum, worker) => sum + worker.requests, 0)).toBe(400);
    expect(report.workers.length).toBeGreaterThanOrEqual(2);
    for (const worker of report.workers) {
      expect(cluster.workerPids).toContain(worker.pid);
      expect(worker.instance).toBe(1);
      // A fresh per-worker counter: this worker's answers are exactly 1..its request count.
      expect(worker).toMatchObject({ min: 1, max: worker.requests, counted: worker.requests });
      // Measured on /cluster: it held 0 before and its own requests after.
      expect(worker).toMatchObject({ before: 0, after: worker.requests });
    }
    const largest = Math.max(...report.workers.map((worker) => worker.requests));
    expect(report.max_seen).toBe(largest);
    // One meaning of lost: expected − true total. The workers hold all 400; none knows the total.
    expect(report).toMatchObject({ basis: 'cluster', true_total: 400, lost: 0, largest_seen: largest });
    expect(report.largest_seen).toBeLessThan(400);
    expect(report.counter_verdict?.kind).toBe('split');
    expect(report.rps).toBeGreaterThan(0);
  });

  it('counts from what each worker held before the run, never from the lowest answer', async () => {
    const cluster = await startCluster(['--workers', '2']);
    await hammerJson([`${cluster.url}/counter/local`, '-n', '40', '-c', '2']);
    const report = await hammerJson([`${cluster.url}/counter/local`, '-n', '40', '-c', '2']);
    expect(report).toMatchObject({ expected: 40, true_total: 40, lost: 0 });
    expect(report.workers.reduce((sum, worker) => sum + (worker.before ?? 0), 0)).toBe(40);
    expect(report.largest_seen).toBeLessThan(report.max_seen ?? 0);
  });

  it('falls back to the answers alone, and says so, when /cluster cannot be read', async () => {
    const server = createHttpServer((request, response) => {
      if (request.url === '/counter') count += 1;
      response.setHeader('content-type', 'application/json');
      response.setHeader('x-worker-id', '1');
      response.setHeader('x-worker-pid', '4242');
      response.end(JSON.stringify({ current_count: count, strategy: 'local' }));
    });
    let count = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const report = await hammerJson([`http://127.0.0.1:${port}/counter`, '-n', '10', '-c', '1']);
      // Its /cluster answers too (a plain server answers every path), but not as the lab does.
      expect(report).toMatchObject({ basis: 'answers', expected: 10, true_total: null, counter_verdict: null });
      expect(report.basis_note).toContain('/cluster is not a cluster-state-lab /cluster');
      expect(report.verdict[0]).toMatch(/^Counter, guessed from the answers alone \(no baselines: /);
    } finally {
      server.close();
    }
  });

  it('finds /counter/ipc exact: the largest value is the expected one, nothing lost', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const report = await hammerJson([`${cluster.url}/counter/ipc`, '-n', '400', '-c', '20']);

    expect(report).toMatchObject({ ok: 400, expected: 400, max_seen: 400, lost: 0, excess: 0 });
    expect(report.workers.reduce((sum, worker) => sum + worker.requests, 0)).toBe(400);
  });

  it('groups workers by instance when given two clusters, and keeps kept-alive connections on their workers', async () => {
    const [first, second] = await Promise.all([startCluster(['--workers', '2']), startCluster(['--workers', '2'])]);
    const report = await hammerJson([
      `${first.url}/counter/local`,
      `${second.url}/counter/local`,
      '-n',
      '200',
      '-c',
      '4',
      '--keep-alive',
    ]);

    expect(report.instances.map((instance) => [instance.instance, instance.requests, instance.ok])).toEqual([
      [1, 100, 100],
      [2, 100, 100],
    ]);
    for (const worker of report.workers) {
      expect((worker.instance === 1 ? first : second).workerPids).toContain(worker.pid);
    }
    const perInstance = (instance: number) =>
      report.workers.filter((worker) => worker.instance === instance).reduce((sum, worker) => sum + worker.requests, 0);
    expect([perInstance(1), perInstance(2)]).toEqual([100, 100]);
    expect(report.keep_alive).toBe(true);
  });

  it('counts a refused connection as an error, not a crash', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const port = await closedPort();
    const report = await hammerJson([
      `${cluster.url}/counter/local`,
      `http://127.0.0.1:${port}/counter/local`,
      '-n',
      '20',
    ]);

    expect(report).toMatchObject({ requests: 20, ok: 10, failed: 10, errors: { ECONNREFUSED: 10 } });
    expect(report.instances[1]).toMatchObject({ ok: 0, failed: 10, errors: { ECONNREFUSED: 10 } });
    expect(report.workers.every((worker) => worker.instance === 1)).toBe(true);
  });

  it('prints the tables and the verdict as text, with no progress bar off a terminal', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const result = await hammer([`${cluster.url}/counter/local`, '-n', '50', '-c', '5']);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`instance 1  ${cluster.url}/counter/local`);
    expect(result.stdout).toMatch(/worker\s+pid\s+requests\s+first\s+last\s+before\s+after\s+share/);
    expect(result.stdout).toContain(
      'Counter local (one count per worker), measured against /cluster before and after the run:',
    );
    expect(result.stdout).toContain("50 answers; the workers' counts add up to 50, so nothing is lost");
    expect(result.stdout).toContain('Failed: none.');
  });

  it('stops on SIGINT and still prints the report', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const child = execa('node', [HAMMER, `${cluster.url}/counter/ipc`, '-d', '30', '-c', '5', '--json'], {
      reject: false,
      timeout: RUN_TIMEOUT_MS,
    });
    // Let some answers come first, as the /cluster view of the primary's IPC counter shows.
    await waitFor(
      async () => {
        const response = await fetch(`${cluster.url}/cluster`);
        const body = (await response.json()) as { ipc_counter: number };
        return body.ipc_counter >= 50 ? true : undefined;
      },
      20_000,
      'the hammer to get answers',
    );
    child.kill('SIGINT');
    const result = await child;

    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as HammerReport;
    expect(report.interrupted).toBe(true);
    expect(report.requests).toBeGreaterThanOrEqual(50);
    expect(report.elapsed_ms).toBeLessThan(30_000);
    expect(report).toMatchObject({ failed: 0, lost: 0 });
  });

  it.each([
    [['-n', 'abc'], 'Expected `--requests` to be an integer from 1 to 10000000, got `abc`.'],
    [['--frobnicate'], 'Unknown option `--frobnicate`; see --help for the options.'],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const result = await hammer(['http://127.0.0.1:1/counter', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(`hammer: ${message}`);
  });

  it('prints --help and exits 0', async () => {
    const result = await hammer(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: npm run hammer -- <url> [<url>...] [options]');
  });
});
