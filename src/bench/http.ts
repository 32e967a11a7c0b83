import { request } from 'node:http';

export const HTTP_TIMEOUT_MS = 10_000;

export interface JsonAnswer<T> {
  status: number;
  body: T;
  /** `x-worker-pid`, when the answer carries it. */
  workerPid: number | undefined;
}

/** One GET on a fresh connection (so node:cluster picks a worker again); a non-JSON body is `{}`. */
export const getJson = <T = Record<string, unknown>>(url: string): Promise<JsonAnswer<T>> =>
  new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false, timeout: HTTP_TIMEOUT_MS }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('error', reject);
      response.on('end', () => {
        let body: T;
        try {
          body = JSON.parse(text) as T;
        } catch {
          body = {} as T;
        }
        const pid = Number(response.headers['x-worker-pid']);
        resolve({ status: response.statusCode ?? 0, body, workerPid: Number.isInteger(pid) ? pid : undefined });
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`GET ${url}: no answer within ${HTTP_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.end();
  });
