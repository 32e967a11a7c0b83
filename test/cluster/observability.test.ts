import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../tools/hammer/load.js';
import { getJson, startCluster, stopAllClusters, stopCluster, waitFor } from '../helpers/cluster.js';

afterEach(stopAllClusters);

/** One sample's value from Prometheus text, by its exact series (name and labels). */
const sampleValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const metricsText = async (url: string): Promise<string> => {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
};

describe('GET /metrics', () => {
  it('adds up every worker: the request counter for a route equals the requests sent', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const { samples } = await runLoad({ urls: [`${cluster.url}/counter/local`], requests: 300, concurrency: 20 });
    expect(new Set(samples.map((sample) => sample.workerPid)).size).toBeGreaterThanOrEqual(2);
    const text = await metricsText(cluster.url);
    expect(sampleValue(text, 'lab_http_requests_total{route="/counter/local",method="GET",status="200"}')).toBe(300);
    expect(sampleValue(text, 'lab_http_request_duration_seconds_count{route="/counter/local"}')).toBe(300);
    expect(sampleValue(text, 'lab_increments_total{strategy="local"}')).toBe(300);
    // Per-worker counters keep their worker label: they are not one number.
    const perWorker = text.split('\n').filter((line) => line.startsWith('lab_worker_scoped_value{strategy="local"'));
    expect(perWorker).toHaveLength(4);
    expect(perWorker.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)).toBe(300);
    expect(sampleValue(text, 'lab_workers')).toBe(4);
    expect(sampleValue(text, 'lab_redis_up')).toBe(1);
  });

  it('follows a kill in the restart count', async () => {
    const cluster = await startCluster(['--workers', '2']);
    expect(sampleValue(await metricsText(cluster.url), 'lab_worker_restarts_total')).toBe(0);
    process.kill(cluster.workerPids[0] as number, 'SIGKILL');
    await waitFor(
      async () => {
        const { body } = await getJson<{ workers: unknown[]; restarts: number }>(`${cluster.url}/cluster`, {
          timeoutMs: 2000,
        });
        return body.workers.length === 2 && body.restarts === 1 ? true : undefined;
      },
      15_000,
      'the replacement',
    );
    expect(sampleValue(await metricsText(cluster.url), 'lab_worker_restarts_total')).toBe(1);
  });
});

describe('--log-format json', () => {
  it('writes one JSON object per lifecycle line', async () => {
    const cluster = await startCluster(['--workers', '2', '--log-format', 'json']);
    process.kill(cluster.workerPids[0] as number, 'SIGKILL');
    await cluster.waitForLog(/starting to replace worker/);
    await stopCluster(cluster);
    const lines = cluster.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(4);
    const events = lines.map((line) => JSON.parse(line) as { level: string; role: string; msg: string; time: string });
    for (const event of events) {
      expect(event).toMatchObject({ level: expect.any(String), role: expect.any(String), msg: expect.any(String) });
      expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    }
    expect(events.some((event) => /was killed by SIGKILL/.test(event.msg) && event.level === 'warn')).toBe(true);
    expect(events.at(-1)?.msg).toBe('all workers stopped; exiting with code 0');
  });
});
