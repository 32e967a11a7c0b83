import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DRAIN_MS } from '../../src/worker/http-server.js';
import { getJson, runCli, startCluster, stopAllClusters } from '../helpers/cluster.js';

afterEach(stopAllClusters);

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the connection to the server closing it. */
  ms: number;
}

/**
 * Talk HTTP over a raw socket: send `first`, then `drip` every `dripMs` (a slow client), until the
 * server closes the connection; what it answered, parsed. `hangGuardMs` only stops a test that would
 * otherwise wait for Node's defaults.
 */
const rawExchange = (
  port: number,
  {
    first,
    drip,
    dripMs = 250,
    hangGuardMs = 30_000,
  }: { first: string; drip?: string; dripMs?: number; hangGuardMs?: number },
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let dripper: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`The server kept the connection open for ${hangGuardMs} ms; it answered: ${text}`));
    }, hangGuardMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (first !== '') socket.write(first);
      if (drip !== undefined) dripper = setInterval(() => socket.writable && socket.write(drip), dripMs);
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      clearInterval(dripper);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, ms: performance.now() - started });
    });
  });

describe('slow clients', () => {
  it('get a JSON 408 once --headers-timeout-ms has passed without the whole header block', async () => {
    const cluster = await startCluster([
      '--workers',
      '1',
      '--headers-timeout-ms',
      '1000',
      '--request-timeout-ms',
      '5000',
    ]);
    // Slowloris: a header line every 250 ms, never the blank line that ends the block.
    const slow = await rawExchange(cluster.port, { first: 'GET /counter HTTP/1.1\r\nHost: x\r\n', drip: 'X-a: b\r\n' });
    expect(slow.status).toBe(408);
    expect(slow.headers['content-type']).toBe('application/json');
    expect(slow.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(slow.body)).toMatchObject({ error: 'E_REQUEST_TIMEOUT', status: 408 });
    expect(slow.ms).toBeGreaterThanOrEqual(1000);

    // A connection that never says anything is cut by the same bound.
    const silent = await rawExchange(cluster.port, { first: '' });
    expect(silent.status).toBe(408);
    expect(silent.ms).toBeGreaterThanOrEqual(1000);
  });

  it('get their 413 once a too-large body stops coming for a while: it is not waited for longer', async () => {
    const cluster = await startCluster(['--workers', '1']);
    // 64 KiB announced (over the 16 KiB limit, under what is read before answering), 1 KiB sent.
    const stalled = await rawExchange(cluster.port, {
      first: `POST /counter HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024}\r\n\r\n${'a'.repeat(1024)}`,
    });
    expect(stalled.status).toBe(413);
    expect(JSON.parse(stalled.body)).toMatchObject({ error: 'E_BODY_TOO_LARGE' });
    expect(stalled.headers.connection).toBe('close');
    expect(stalled.ms).toBeGreaterThanOrEqual(DRAIN_MS - 50);
  });

  it('refuses a headers timeout longer than the request timeout, naming both options', async () => {
    const result = await runCli(['--headers-timeout-ms', '9000', '--request-timeout-ms', '5000']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('`--headers-timeout-ms` (9000) to be at most `--request-timeout-ms` (5000)');
  });
});

describe('requests without Host, and the headers every answer carries', () => {
  it('answers an HTTP/1.0 request without Host (a load balancer health check), and refuses HTTP/1.1 in JSON', async () => {
    const cluster = await startCluster(['--workers', '1']);
    const old = await rawExchange(cluster.port, { first: 'GET /healthz HTTP/1.0\r\n\r\n' });
    expect(old.status).toBe(200);
    expect(JSON.parse(old.body)).toMatchObject({ status: 'ok' });

    const noHost = await rawExchange(cluster.port, { first: 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n' });
    expect(noHost.status).toBe(400);
    expect(JSON.parse(noHost.body)).toMatchObject({ error: 'E_BAD_REQUEST' });
    expect(noHost.headers['x-content-type-options']).toBe('nosniff');
  });

  it('sends nosniff on every answer, and the dashboard CSP as a header that forbids framing', async () => {
    const cluster = await startCluster(['--workers', '1']);
    for (const path of ['/counter', '/stats', '/no-such-route', '/user/abc', '/healthz']) {
      expect((await getJson(`${cluster.url}${path}`)).headers['x-content-type-options']).toBe('nosniff');
    }
    const garbage = await rawExchange(cluster.port, { first: 'NOT HTTP\r\n\r\n' });
    expect(garbage.status).toBe(400);
    expect(garbage.headers['x-content-type-options']).toBe('nosniff');

    const page = await rawExchange(cluster.port, { first: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' });
    expect(page.status).toBe(200);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  });
});
