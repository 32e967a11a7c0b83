import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../tools/hammer/load.js';
import { formatProgress } from '../../../tools/hammer/progress.js';
import { buildReport, type RunInfo } from '../../../tools/hammer/report.js';
import { addSample, countDone, createTally, latencyPercentile, tallySamples } from '../../../tools/hammer/tally.js';
import { formatBar, formatReport, formatTable } from '../../../tools/hammer/text.js';

const URL_A = 'http://127.0.0.1:3000/counter/local';
const URL_B = 'http://127.0.0.1:3001/counter/local';
const RUN: RunInfo = { elapsedMs: 2000, keepAlive: false, concurrency: 20, interrupted: false };

const answer = (fields: Partial<Sample> & { workerId: number }): Sample => ({
  instance: 0,
  status: 200,
  workerPid: 1000 + fields.workerId,
  ms: 1,
  ...fields,
});

/** `perWorker` requests to each of `workers` workers, each counting alone from `start + 1`, interleaved. */
const perWorkerCounters = (workers: number, perWorker: number, start = 0, instance = 0): Sample[] =>
  Array.from({ length: workers * perWorker }, (_, index) => {
    const workerId = (index % workers) + 1;
    return answer({ instance, workerId, count: start + Math.floor(index / workers) + 1 });
  });

/** One shared counter from `start + 1`, its answers spread round-robin over `workers` workers. */
const sharedCounter = (workers: number, total: number, start = 0): Sample[] =>
  Array.from({ length: total }, (_, index) => answer({ workerId: (index % workers) + 1, count: start + index + 1 }));

const report = (samples: Sample[], urls = [URL_A], run = RUN) => buildReport(tallySamples(urls, samples), run);

describe('buildReport on counter routes', () => {
  it('counts a per-worker counter on 4 workers: expected 400, largest 100, 300 lost', () => {
    const result = report(perWorkerCounters(4, 100));
    expect(result).toMatchObject({ requests: 400, ok: 400, failed: 0, counted: 400 });
    expect(result).toMatchObject({ min_seen: 1, max_seen: 100, expected: 400, lost: 300, excess: 0 });
    expect(result.workers).toHaveLength(4);
    for (const [index, worker] of result.workers.entries()) {
      expect(worker).toMatchObject({
        instance: 1,
        id: index + 1,
        pid: 1001 + index,
        requests: 100,
        ok: 100,
        first: 1,
        last: 100,
        max: 100,
        share: 0.25,
      });
    }
    expect(result.verdict.join('\n')).toContain('300 of 400 increments (75.0%) are lost');
    expect(result.verdict.join('\n')).toContain('each of the 4 workers counted only the requests it served');
  });

  it('finds nothing lost on a shared, exact counter', () => {
    const result = report(sharedCounter(4, 400));
    expect(result).toMatchObject({ expected: 400, max_seen: 400, lost: 0, excess: 0 });
    expect(result.verdict).toContain('The largest value seen is 400: no increment is lost.');
  });

  it('takes the lowest value seen as the start, whatever order the answers arrived in', () => {
    const samples = sharedCounter(2, 50, 100).reverse();
    const result = report(samples);
    expect(result).toMatchObject({ min_seen: 101, max_seen: 150, expected: 150, lost: 0 });
    expect(result.workers[0]?.first).toBe(149);
    expect(result.verdict[0]).toContain('stood at 100 before this run, if this run was its only client');
    expect(result.verdict[0]).toContain('100 + 50 = 150');
  });

  it('says a worker repeated values when it gave more answers than its range holds', () => {
    // Ten concurrent requests read 0 and write 1, the next ten read 1 and write 2, …
    const samples = Array.from({ length: 40 }, (_, index) =>
      answer({ workerId: 1, count: Math.floor(index / 10) + 1 }),
    );
    const result = report(samples);
    expect(result).toMatchObject({ expected: 40, max_seen: 4, lost: 36 });
    expect(result.verdict.join('\n')).toContain(
      '1 worker returned the same value more than once (at least 36 repeats)',
    );
  });

  it('says values repeat across workers of one instance when the count is shared but not atomic', () => {
    const samples = Array.from({ length: 40 }, (_, index) =>
      answer({ workerId: (index % 4) + 1, count: Math.floor(index / 2) + 1 }),
    );
    const result = report(samples);
    expect(result.lost).toBe(20);
    expect(result.verdict.join('\n')).toContain('the count is shared, but its increment is not atomic');
  });

  it('says each instance counted alone when two clusters keep exact counts of their own', () => {
    const samples = [
      ...sharedCounter(2, 100).map((sample) => ({ ...sample, instance: 0 })),
      ...sharedCounter(2, 100).map((sample) => ({ ...sample, instance: 1, workerPid: (sample.workerPid ?? 0) + 10 })),
    ];
    const result = report(samples, [URL_A, URL_B]);
    expect(result).toMatchObject({ expected: 200, max_seen: 100, lost: 100 });
    expect(result.verdict.join('\n')).toContain('shared inside one cluster, not across clusters');
  });

  it('explains a largest value above expected by workers whose counts started apart', () => {
    const samples = [
      ...perWorkerCounters(1, 10, 0),
      ...perWorkerCounters(1, 10, 500).map((s) => ({ ...s, workerId: 2 })),
    ];
    const result = report(samples.map((sample) => ({ ...sample, workerPid: 1000 + (sample.workerId ?? 0) })));
    expect(result).toMatchObject({ expected: 20, max_seen: 510, lost: 0, excess: 490 });
    expect(result.verdict.join('\n')).toContain(
      "the workers' counts started apart (their lowest values run from 1 to 501)",
    );
    expect(result.verdict.join('\n')).toContain('The most any one of them added is 10 of 20 increments (50.0%)');
  });

  it('leaves the counter fields null when no answer carried a count', () => {
    const result = report([answer({ workerId: 1, source: 'database' })]);
    expect(result).toMatchObject({ counted: 0, min_seen: null, max_seen: null, expected: null, lost: null });
    expect(result.workers[0]).toMatchObject({ first: null, last: null, max: null });
    expect(result.verdict.join('\n')).not.toContain('Counter');
  });
});

describe('buildReport on failures, sources and instances', () => {
  it('counts non-2xx answers and connection errors by status and by code, without their counts', () => {
    const samples: Sample[] = [
      answer({ workerId: 1, count: 1 }),
      answer({ workerId: 2, status: 503, count: 99 }),
      answer({ workerId: 2, status: 404 }),
      { instance: 0, status: null, error: 'ECONNREFUSED', ms: 0.5 },
      { instance: 0, status: null, error: 'ECONNREFUSED', ms: 0.5 },
      // The status line came, then the connection broke: an error, but the worker is known.
      answer({ workerId: 1, status: 200, error: 'ECONNRESET', count: 50 }),
    ];
    const result = report(samples);
    expect(result).toMatchObject({ requests: 6, ok: 1, failed: 5, max_seen: 1, counted: 1 });
    expect(result.statuses).toEqual({ '200': 1, '503': 1, '404': 1 });
    expect(result.errors).toEqual({ ECONNREFUSED: 2, ECONNRESET: 1 });
    expect(result.workers.map((worker) => [worker.id, worker.requests, worker.ok])).toEqual([
      [1, 2, 1],
      [2, 2, 0],
    ]);
    expect(result.verdict).toContain('Failed: 5 of 6 (83.3%): ECONNREFUSED ×2, 404 ×1, 503 ×1, ECONNRESET ×1.');
  });

  it('counts answers per source, in total and per worker', () => {
    const samples = [
      answer({ workerId: 1, source: 'database' }),
      answer({ workerId: 1, source: 'cache' }),
      answer({ workerId: 1, source: 'cache' }),
      answer({ workerId: 2, source: 'database' }),
      answer({ workerId: 2, source: 'cache' }),
      answer({ workerId: 3, source: 'cache' }),
    ];
    const result = report(samples);
    expect(result.sources).toEqual({ cache: 4, database: 2 });
    expect(result.workers.map((worker) => worker.sources)).toEqual([
      { cache: 2, database: 1 },
      { database: 1, cache: 1 },
      { cache: 1 },
    ]);
    expect(result.verdict).toContain('Sources: cache 4 (66.7%), database 2 (33.3%).');
    expect(result.verdict).toContain('2 of the 3 workers that answered went to the database at least once.');
  });

  it('groups workers by instance, even one pid seen through two URLs', () => {
    const samples = [
      answer({ instance: 0, workerId: 1, count: 1 }),
      answer({ instance: 1, workerId: 1, count: 2 }),
      answer({ instance: 1, workerId: 2, count: 1 }),
      { instance: 1, status: null, error: 'ECONNRESET', ms: 1 },
    ];
    const result = report(samples, [URL_A, URL_B]);
    expect(result.instances.map((instance) => [instance.instance, instance.url, instance.requests])).toEqual([
      [1, URL_A, 1],
      [2, URL_B, 3],
    ]);
    expect(result.workers.map((worker) => [worker.instance, worker.pid, worker.share])).toEqual([
      [1, 1001, 1],
      [2, 1001, 0.5],
      [2, 1002, 0.5],
    ]);
    expect(result.instances[1]).toMatchObject({ failed: 1, errors: { ECONNRESET: 1 }, min_seen: 1, max_seen: 2 });
  });

  it('puts an answer without worker headers under an unknown worker', () => {
    const result = report([{ instance: 0, status: 200, ms: 1 }]);
    expect(result.workers).toEqual([expect.objectContaining({ id: null, pid: null, requests: 1 })]);
    expect(formatReport(result)).toMatch(/\n\s+\?\s+\?\s+1\s/);
  });

  it('reports the rate, the run and the latency percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, index) => answer({ workerId: 1, ms: index + 1 }));
    const result = report(samples, [URL_A], { elapsedMs: 500, keepAlive: true, concurrency: 7, interrupted: true });
    expect(result).toMatchObject({ rps: 200, elapsed_ms: 500, keep_alive: true, concurrency: 7, interrupted: true });
    expect(result.latency_ms).toEqual({ mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('formatReport', () => {
  it('prints one table per instance, then the verdict and the rate', () => {
    const text = formatReport(report(perWorkerCounters(4, 100)));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`instance 1  ${URL_A}`);
    expect(lines[1]).toBe('  400 requests: 400 ok, 0 failed  (200 ×400)');
    expect(lines[2]).toMatch(/^ {2}worker\s+pid\s+requests\s+first\s+last\s+share$/);
    expect(lines[3]).toMatch(/^\s+1\s+1001\s+100\s+1\s+100\s+█████░{15}\s+25\.0%$/);
    expect(text).toContain('300 of 400 increments (75.0%) are lost');
    expect(text).toContain('400 requests in 2.00 s: 200 req/s');
    expect(text).toContain('(a new connection per request, concurrency 20)');
    expect(text).not.toContain('Stopped early');
  });

  it('shows a sources column for user routes and says when nobody answered', () => {
    const text = formatReport(
      report(
        [answer({ workerId: 1, source: 'database' }), { instance: 1, status: null, error: 'ECONNREFUSED', ms: 1 }],
        [URL_A, URL_B],
      ),
    );
    expect(text).toMatch(/worker\s+pid\s+requests\s+share\s+sources/);
    expect(text).toMatch(/database 1$/m);
    expect(text).toContain('  1 request: 0 ok, 1 failed  (ECONNREFUSED ×1)\n  no worker answered');
  });
});

describe('the building blocks', () => {
  it('draws bars of a fixed width', () => {
    expect(formatBar(0)).toBe('░'.repeat(20));
    expect(formatBar(1)).toBe('█'.repeat(20));
    expect(formatBar(0.5, 4)).toBe('██░░');
    expect(formatBar(2, 4)).toBe('████');
  });

  it('aligns table columns, numbers to the right', () => {
    expect(
      formatTable(
        ['a', 'n'],
        [
          ['x', '1'],
          ['yyy', '100'],
        ],
        new Set([1]),
      ),
    ).toEqual(['a      n', 'x      1', 'yyy  100']);
  });

  it('refuses a sample for an instance the tally does not have', () => {
    expect(() => addSample(createTally([URL_A]), { instance: 1, status: 200, ms: 1 })).toThrow(RangeError);
  });

  it('tallies incrementally what it would tally at once', () => {
    const samples = sharedCounter(3, 30);
    const tally = createTally([URL_A]);
    for (const sample of samples) addSample(tally, sample);
    expect(buildReport(tally, RUN)).toEqual(report(samples));
    expect(countDone(tally)).toEqual({ done: 30, failed: 0 });
    expect(latencyPercentile(createTally([URL_A]), 0.5)).toBeNull();
  });

  it('formats the progress line by count or by time', () => {
    const line = formatProgress({ done: 250, failed: 3, elapsedMs: 500, total: 1000 });
    expect(line).toContain('25%');
    expect(line).toContain('250/1,000');
    expect(line).toContain('500 req/s');
    expect(line).toContain('3 failed');
    expect(formatProgress({ done: 10, failed: 0, elapsedMs: 1500, durationMs: 2000 })).toContain(' 75%');
    expect(formatProgress({ done: 10, failed: 0, elapsedMs: 1, total: 20, stopping: true })).toContain('stopping');
  });
});
