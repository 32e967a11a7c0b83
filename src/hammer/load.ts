// The load engine behind `npm run hammer`, the lessons and the tests: a fixed number of lanes, each
// sending one request after another, over undici pools. By default every request opens a new TCP
// connection, so node:cluster's round robin spreads requests; with keepAlive a lane keeps its
// connection, and so its worker.
import { Pool } from 'undici';

/** Per-request bound, so a stuck server cannot hang the client. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Hard ceilings on one run: load stays bounded in count and time. */
export const MAX_REQUESTS = 10_000_000;
export const MAX_DURATION_MS = 3_600_000;

export interface LoadOptions {
  /** One URL per instance (cluster); requests go to them round-robin. */
  urls: readonly string[];
  /** Stop after this many requests (with `durationMs`, whichever comes first). */
  requests?: number;
  /** Stop after this long. */
  durationMs?: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Reuse connections (a browser's behaviour) instead of one new connection per request. @default false */
  keepAlive?: boolean;
  method?: string;
  headers?: Record<string, string>;
  onProgress?: (done: number) => void;
  /** Stop early, e.g. on Ctrl-C; answers already in flight still count. */
  signal?: AbortSignal;
}

/** One answer (or failure), reduced to what the reports need. */
export interface Sample {
  /** Index into `urls`. */
  instance: number;
  /** HTTP status, or null when no answer came (connection refused, reset, timeout). */
  status: number | null;
  error?: string;
  workerId?: number;
  workerPid?: number;
  /** `current_count` of a counter answer. */
  count?: number;
  /** `source` of a user answer. */
  source?: string;
  ms: number;
}

export interface LoadResult {
  samples: Sample[];
  elapsedMs: number;
}

const header = (value: string | string[] | undefined): number | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  const parsed = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(parsed) ? parsed : undefined;
};

const readBody = (text: string, sample: Sample): void => {
  try {
    const body = JSON.parse(text) as { current_count?: unknown; source?: unknown };
    if (typeof body.current_count === 'number') sample.count = body.current_count;
    if (typeof body.source === 'string') sample.source = body.source;
  } catch {
    // Not JSON (the dashboard, a proxy's error page): status and headers still count.
  }
};

const describeError = (error: unknown): string => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
};

/** Drive the load and collect every answer; failures are samples, never thrown. */
export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const { urls, concurrency, keepAlive = false, method = 'GET', headers = {}, onProgress, signal } = options;
  if (urls.length === 0) throw new Error('runLoad needs at least one URL.');
  const requests = Math.min(options.requests ?? MAX_REQUESTS, MAX_REQUESTS);
  const durationMs = Math.min(options.durationMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  const targets = urls.map((url) => new URL(url));
  const pools = new Map<string, Pool>();
  for (const target of targets) {
    if (!pools.has(target.origin)) {
      pools.set(
        target.origin,
        new Pool(target.origin, {
          connections: concurrency,
          pipelining: 1,
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
          connect: { timeout: REQUEST_TIMEOUT_MS },
        }),
      );
    }
  }

  const samples: Sample[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let next = 0;

  const lane = async (): Promise<void> => {
    while (next < requests && performance.now() < deadline && !signal?.aborted) {
      const index = next++;
      const instance = index % targets.length;
      const target = targets[instance] as URL;
      const pool = pools.get(target.origin) as Pool;
      const sentAt = performance.now();
      const sample: Sample = { instance, status: null, ms: 0 };
      try {
        const response = await pool.request({
          method,
          path: `${target.pathname}${target.search}`,
          headers,
          // reset: the client closes the connection after the answer, so the next request is a new
          // connection and the cluster's round robin picks a worker again.
          reset: !keepAlive,
        });
        sample.status = response.statusCode;
        sample.workerId = header(response.headers['x-worker-id']);
        sample.workerPid = header(response.headers['x-worker-pid']);
        readBody(await response.body.text(), sample);
      } catch (error) {
        sample.error = describeError(error);
      }
      sample.ms = performance.now() - sentAt;
      samples.push(sample);
      onProgress?.(samples.length);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests)) }, lane));
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.destroy()));
  }
  return { samples, elapsedMs: performance.now() - started };
};
