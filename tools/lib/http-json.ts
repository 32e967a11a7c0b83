// One HTTP request whose answer is JSON: used by the demo and by the tests to look at a cluster.
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface JsonAnswer<T> {
  status: number;
  body: T;
  headers: IncomingHttpHeaders;
}

export interface JsonRequestOptions {
  method?: string;
  /** Sent as is, instead of the URL's path: for paths a URL parser would normalise. */
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Bound on the whole exchange. @default 10000 */
  timeoutMs?: number;
  /** A keep-alive agent to stay on one connection (and so one worker). @default false: a new connection */
  agent?: Agent | false;
}

export const requestJson = <T = Record<string, unknown>>(
  url: string,
  { method = 'GET', path, headers = {}, body, timeoutMs = 10_000, agent = false }: JsonRequestOptions = {},
): Promise<JsonAnswer<T>> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const call = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: path ?? `${target.pathname}${target.search}`,
        method,
        headers,
        agent,
        timeout: timeoutMs,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as T, headers: response.headers });
          } catch (error) {
            const what = `${method} ${path ?? url}`;
            reject(new Error(`${what}: not JSON (${response.statusCode}): ${text.slice(0, 200)}`, { cause: error }));
          }
        });
      },
    );
    call.on('timeout', () => call.destroy(new Error(`${method} ${path ?? url}: timed out after ${timeoutMs} ms`)));
    call.on('error', reject);
    call.end(body);
  });
