// /metrics and /cluster as a scraper and a dashboard see them: lint-clean Prometheus text, counters
// that never go backwards when a worker dies, and shared aggregations that are never older than the ask.
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

const metricsText = async (url: string): Promise<string> => {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
};

/** Every sample of one metric name (any labels), as `series → value`. */
const samplesOf = (text: string, name: string): Map<string, number> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .map((line) => {
        const cut = line.lastIndexOf(' ');
        return [line.slice(0, cut), Number(line.slice(cut + 1))] as const;
      }),
  );

const total = (samples: Map<string, number>): number => [...samples.values()].reduce((sum, value) => sum + value, 0);

/** Prometheus's own linter on the text; what it prints (nothing when clean). */
const promtoolCheck = async (text: string): Promise<{ exitCode: number | undefined; output: string }> => {
  const result = await execa('promtool', ['check', 'metrics'], { input: text, reject: false, all: true });
  if (result.failed && (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      'promtool is not installed, and this test needs the real linter: install Debian\'s "prometheus" package (apt-get install prometheus) or put promtool on PATH.',
    );
  }
  return { exitCode: result.exitCode, output: result.all ?? '' };
};

describe('GET /metrics', () => {
  it("passes promtool's lint with no warning, after traffic on every kind of route and a worker's death", async () => {
    const cluster = await startCluster(['--workers', '2', '--db-delay-ms', '0']);
    const routes = [
      'counter',
      'counter/local',
      'counter/ipc',
      'counter/file',
      'counter/redis',
      'user/1',
      'user/redis/2',
    ];
    await runLoad({ urls: routes.map((route) => `${cluster.url}/${route}`), requests: 70, concurrency: 7 });
    await getJson(`${cluster.url}/no-such-route`);
    await metricsText(cluster.url);
    process.kill(cluster.workerPids[0] as number, 'SIGKILL');
    await cluster.waitForLog(/starting to replace worker/);
    const { exitCode, output } = await promtoolCheck(await metricsText(cluster.url));
    expect(output).toBe('');
    expect(exitCode).toBe(0);
  });

  it('never goes backwards when a worker is killed: the dead worker keeps what the last scrape saw', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const { samples } = await runLoad({ urls: [`${cluster.url}/counter/local`], requests: 400, concurrency: 20 });
    expect(new Set(samples.map((sample) => sample.workerPid)).size).toBe(2);
    const before = await metricsText(cluster.url);
    const route = 'lab_http_requests_total{route="/counter/local",method="GET",status="200"}';
    expect(samplesOf(before, 'lab_http_requests_total').get(route)).toBe(400);
    expect(samplesOf(before, 'lab_worker_scoped_value').size).toBe(2 * 2);

    const [killed] = cluster.workerPids as [number];
    process.kill(killed, 'SIGKILL');
    await waitFor(
      async () => {
        const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 2000 });
        return body.restarts === 1 && body.workers.length === 2 ? true : undefined;
      },
      20_000,
      'the replacement worker',
    );
    const after = await metricsText(cluster.url);
    const requestsAfter = samplesOf(after, 'lab_http_requests_total');
    expect(requestsAfter.get(route)).toBe(400);
    expect(total(requestsAfter)).toBeGreaterThanOrEqual(total(samplesOf(before, 'lab_http_requests_total')));
    expect(
      samplesOf(after, 'lab_http_request_duration_seconds_count').get(
        'lab_http_request_duration_seconds_count{route="/counter/local"}',
      ),
    ).toBe(400);
    expect(samplesOf(after, 'lab_increments_total').get('lab_increments_total{strategy="local"}')).toBe(400);
    // The dead worker's gauges are gone: two workers, two per-worker strategies.
    expect(samplesOf(after, 'lab_worker_scoped_value').size).toBe(2 * 2);
  });

  it('keeps every request of workers that a reload retired, even with no scrape before it', async () => {
    const token = 'scrapes-suite-token-abcdefghijklmnop';
    const cluster = await startCluster(['--workers', '2', '--admin-token', token]);
    await runLoad({ urls: [`${cluster.url}/counter/local`], requests: 300, concurrency: 10 });
    const { status } = await getJson(`${cluster.url}/admin/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(status).toBe(202);
    await cluster.waitForLog(/reload: done/, 30_000);
    const text = await metricsText(cluster.url);
    expect(
      samplesOf(text, 'lab_http_requests_total').get(
        'lab_http_requests_total{route="/counter/local",method="GET",status="200"}',
      ),
    ).toBe(300);
    expect(samplesOf(text, 'lab_increments_total').get('lab_increments_total{strategy="local"}')).toBe(300);
  });
});

describe('GET /cluster under concurrent readers', () => {
  it('shows every increment answered before it was asked, even while a dashboard polls', async () => {
    const cluster = await startCluster(['--workers', '2']);
    let polling = true;
    const dashboards = Array.from({ length: 4 }, async () => {
      while (polling) await getJson(`${cluster.url}/cluster`);
    });
    for (let count = 1; count <= 15; count += 1) {
      await getJson(`${cluster.url}/counter/local`);
      const { body } = await getJson<ClusterStats>(`${cluster.url}/cluster`);
      expect(body.totals.counters.local).toBe(count);
    }
    polling = false;
    await Promise.all(dashboards);
  });
});
