// The load engine behind `npm run hammer`, the lessons and the tests: a fixed number of lanes, each
// sending one request after another. By default every request opens a new TCP connection, so
// node:cluster's round robin picks a worker for each request; with keepAlive each lane keeps one
// connection (per host) open, as a browser tab does, and that connection stays with its worker.
//
// Two transports, each the cheaper one for its job (measured against a 4-worker cluster, client CPU
// per request, which on a small machine is CPU the cluster does not get): a new connection per
// request through node:http with our own createConnection (no Agent at all) costs 40-50% less than
// undici's `reset: true` and about 25% less than node:http's `agent: false`; a kept-alive undici
// Client per lane, driven through dispatch(), costs 15-25% less than one shared Pool's request().
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { Client } from 'undici';

/** Per-request bound, so a stuck server cannot hang the client. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Hard ceilings on one run: load stays bounded in count and time. */
export const MAX_REQUESTS = 10_000_000;
export const MAX_DURATION_MS = 3_600_000;
/** Bodies are read for `current_count` and `source`; a larger one is drained, not kept. */
const MAX_BODY_BYTES = 64 * 1024;

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
  /** Every sample as it completes, e.g. to aggregate without keeping them all. */
  onSample?: (sample: Sample) => void;
  /** Keep every sample in the result; a long run with `onSample` can do without. @default true */
  keepSamples?: boolean;
  /** Stop early, e.g. on Ctrl-C; answers already in flight still count. */
  signal?: AbortSignal;
  /** How long one request may wait for its connection, its answer, or the next bytes of it. @default REQUEST_TIMEOUT_MS */
  timeoutMs?: number;
}

/** One answer (or failure), reduced to what the reports need. */
export interface Sample {
  /** Index into `urls`. */
  instance: number;
  /** HTTP status, or null when no answer came (connection refused, reset, timeout). */
  status: number | null;
  /** Set when the request failed, even after the status line (e.g. the body was cut). */
  error?: string;
  workerId?: number;
  workerPid?: number;
  /** The answering worker's cluster (`x-worker-instance`): worker ids repeat across clusters. */
  workerInstance?: string;
  /** `current_count` of a counter answer. */
  count?: number;
  /** `strategy` of a counter answer (`/counter` answers with the one `--state` picked). */
  strategy?: string;
  /** `source` of a user answer. */
  source?: string;
  ms: number;
}

export interface LoadResult {
  /** Every sample, in completion order (empty with `keepSamples: false`). */
  samples: Sample[];
  elapsedMs: number;
}

interface Target {
  origin: string;
  path: string;
  /** For a new connection per request. */
  connect: RequestOptions;
  secure: boolean;
}

/** Fills in the sample; never rejects. */
type Send = (target: Target, sample: Sample) => Promise<void>;
/** Makes one lane's sender: a lane may keep state, such as its connections. */
type SenderFactory = () => Send;

const header = (value: string | string[] | undefined): number | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  const parsed = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(parsed) ? parsed : undefined;
};

const readHeaders = (headers: IncomingHttpHeaders, sample: Sample): void => {
  const workerId = header(headers['x-worker-id']);
  const workerPid = header(headers['x-worker-pid']);
  if (workerId !== undefined) sample.workerId = workerId;
  if (workerPid !== undefined) sample.workerPid = workerPid;
  const instance = headers['x-worker-instance'];
  if (typeof instance === 'string') sample.workerInstance = instance;
};

const readBody = (chunks: readonly Buffer[], size: number, sample: Sample): void => {
  if (size === 0 || size > MAX_BODY_BYTES) return;
  try {
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString();
    const body = JSON.parse(text) as { current_count?: unknown; source?: unknown; strategy?: unknown } | null;
    if (typeof body?.current_count === 'number') sample.count = body.current_count;
    if (typeof body?.strategy === 'string') sample.strategy = body.strategy;
    if (typeof body?.source === 'string') sample.source = body.source;
  } catch {
    // Not JSON (the dashboard, a proxy's error page): status and headers still count.
  }
};

const describeError = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
};

const timeoutError = (timeoutMs: number): Error =>
  Object.assign(new Error(`No answer within ${timeoutMs} ms.`), { code: 'ETIMEDOUT' });

const dispatch = (client: Client, method: string, headers: Record<string, string>, target: Target, sample: Sample) =>
  new Promise<void>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      client.dispatch(
        { method, path: target.path, headers },
        {
          onRequestStart() {},
          onResponseStart(_controller, statusCode, responseHeaders) {
            sample.status = statusCode;
            readHeaders(responseHeaders, sample);
          },
          onResponseData(_controller, chunk) {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
          },
          onResponseEnd() {
            readBody(chunks, size, sample);
            resolve();
          },
          onResponseError(_controller, error) {
            sample.error = describeError(error);
            resolve();
          },
        },
      );
    } catch (error) {
      sample.error = describeError(error);
      resolve();
    }
  });

/** Keep-alive: each lane owns one undici Client (one connection) per origin; `opened` collects them to close. */
const keptAliveSender =
  (method: string, headers: Record<string, string>, timeoutMs: number, opened: Client[]): SenderFactory =>
  () => {
    const clients = new Map<string, Client>();
    return (target, sample) => {
      let client = clients.get(target.origin);
      if (client === undefined) {
        client = new Client(target.origin, {
          pipelining: 1,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          connect: { timeout: timeoutMs },
        });
        clients.set(target.origin, client);
        opened.push(client);
      }
      return dispatch(client, method, headers, target, sample);
    };
  };

/** A new connection per request, through node:http (see `connect` in toTarget). */
const freshSender =
  (method: string, headers: Record<string, string>): SenderFactory =>
  () =>
  (target, sample) =>
    new Promise((resolve) => {
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        if (error !== undefined) sample.error = describeError(error);
        resolve();
      };
      const request = (target.secure ? httpsRequest : httpRequest)(
        { ...target.connect, method, headers },
        (response) => {
          sample.status = response.statusCode ?? null;
          readHeaders(response.headers, sample);
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          response.on('end', () => {
            readBody(chunks, size, sample);
            settle();
          });
          response.on('error', settle);
          // A connection cut mid-body closes without 'end'.
          response.on('close', () => settle(response.complete ? undefined : { code: 'ECONNRESET' }));
        },
      );
      request.on('timeout', () => request.destroy(timeoutError(target.connect.timeout ?? REQUEST_TIMEOUT_MS)));
      request.on('error', settle);
      request.end();
    });

const toTarget = (url: URL, timeoutMs: number): Target => {
  // node:http and node:net want an IPv6 literal without its brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    secure,
    connect: {
      hostname: host,
      port,
      path: `${url.pathname}${url.search}`,
      timeout: timeoutMs,
      // No agent means `Connection: close` and one socket per request. A plain socket of our own skips
      // the Agent's bookkeeping (and must carry the timeout itself, which the Agent would set); TLS keeps
      // node's `agent: false`, which knows how to set up SNI.
      ...(secure ? { agent: false } : { createConnection: () => createConnection({ host, port, timeout: timeoutMs }) }),
    },
  };
};

/** Drive the load and collect every answer; failures are samples, never thrown. */
export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const {
    urls,
    concurrency,
    keepAlive = false,
    method = 'GET',
    headers = {},
    onProgress,
    onSample,
    keepSamples = true,
    signal,
    timeoutMs = REQUEST_TIMEOUT_MS,
  } = options;
  if (urls.length === 0) throw new Error('runLoad needs at least one URL.');
  const requests = Math.min(options.requests ?? MAX_REQUESTS, MAX_REQUESTS);
  const durationMs = Math.min(options.durationMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  const targets = urls.map((url) => toTarget(new URL(url), timeoutMs));
  const opened: Client[] = [];
  const sender = keepAlive ? keptAliveSender(method, headers, timeoutMs, opened) : freshSender(method, headers);

  const samples: Sample[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let next = 0;
  let done = 0;

  const lane = async (): Promise<void> => {
    const send = sender();
    while (next < requests && performance.now() < deadline && !signal?.aborted) {
      const instance = next % targets.length;
      next += 1;
      const sample: Sample = { instance, status: null, ms: 0 };
      const sentAt = performance.now();
      await send(targets[instance] as Target, sample);
      sample.ms = performance.now() - sentAt;
      done += 1;
      if (keepSamples) samples.push(sample);
      onSample?.(sample);
      onProgress?.(done);
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests)) }, lane));
  } finally {
    await Promise.all(opened.map((client) => client.destroy()));
  }
  return { samples, elapsedMs: performance.now() - started };
};
