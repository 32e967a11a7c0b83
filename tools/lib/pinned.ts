// Kept-alive connections pinned to known workers: node:cluster hands out connections, not requests,
// so every request on one kept-alive connection reaches the worker that connection landed on. Used to
// put a request on one worker and measure what another connection to that same worker (or to
// another worker) goes through meanwhile.
import { Agent } from 'node:http';
import { type JsonAnswer, requestJson } from './http-json.js';

export interface PinnedConnection {
  workerId: number;
  workerPid: number;
  /** One GET on this connection; the answer and how long it took. */
  get<T = Record<string, unknown>>(path: string, timeoutMs?: number): Promise<JsonAnswer<T> & { ms: number }>;
  close(): void;
}

const headerNumber = (value: string | string[] | undefined): number => Number(Array.isArray(value) ? value[0] : value);

/** Open one kept-alive connection and find out which worker it landed on (with a GET of `probePath`). */
export const pinConnection = async (baseUrl: string, probePath = '/counter/local'): Promise<PinnedConnection> => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = async <T>(path: string, timeoutMs = 30_000) => {
    const started = performance.now();
    const answer = await requestJson<T>(`${baseUrl}${path}`, { agent, timeoutMs });
    return { ...answer, ms: performance.now() - started };
  };
  const first = await get(probePath);
  return {
    workerId: headerNumber(first.headers['x-worker-id']),
    workerPid: headerNumber(first.headers['x-worker-pid']),
    get,
    close: () => agent.destroy(),
  };
};

export interface PinnedTrio {
  /** Two connections to the same worker, and one to another worker. */
  first: PinnedConnection;
  second: PinnedConnection;
  elsewhere: PinnedConnection;
  close(): void;
}

/**
 * Open connections until two share a worker and a third is on another one (the round robin gets
 * there within workers + 1 connections); the connections not needed are closed.
 */
export const pinTrio = async (baseUrl: string, maxConnections = 32): Promise<PinnedTrio> => {
  const opened: PinnedConnection[] = [];
  try {
    while (opened.length < maxConnections) {
      opened.push(await pinConnection(baseUrl));
      for (const first of opened) {
        const second = opened.find((other) => other !== first && other.workerId === first.workerId);
        const elsewhere = opened.find((other) => other.workerId !== first.workerId);
        if (second === undefined || elsewhere === undefined) continue;
        for (const other of opened) if (other !== first && other !== second && other !== elsewhere) other.close();
        return {
          first,
          second,
          elsewhere,
          close() {
            for (const connection of [first, second, elsewhere]) connection.close();
          },
        };
      }
    }
  } catch (error) {
    for (const connection of opened) connection.close();
    throw error;
  }
  for (const connection of opened) connection.close();
  throw new Error(`No two of ${maxConnections} connections landed on the same worker.`);
};

/** GET `path` on `connection` again and again until `until` settles; each request's time in ms. */
export const probeUntil = async (connection: PinnedConnection, path: string, until: Promise<unknown>) => {
  let done = false;
  const settled = until.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  const times: number[] = [];
  while (!done) {
    const { status, ms } = await connection.get(path);
    if (status !== 200) throw new Error(`GET ${path} answered ${status}.`);
    times.push(ms);
  }
  await settled;
  return times;
};

/** The p-th percentile (0-100) of `values`, nearest rank; 0 for none. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};
