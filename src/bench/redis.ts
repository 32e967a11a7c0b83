// The bench's own redis-server: on a free port, in a temp dir, no persistence, stopped by pid. The lab
// is pointed at it with --redis-url, so its "ready in" figure is the cluster's alone.

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import type { ProcessGroup } from '../processes.js';

const REDIS_SERVER = 'redis-server';
const START_TIMEOUT_MS = 10_000;

export interface RunningRedis {
  child: ChildProcess;
  url: string;
}

/** `redis-server --version` → "7.0.15", or null when there is no redis-server on PATH. */
export const redisVersion = (): Promise<string | null> =>
  new Promise((resolve) => {
    execFile(REDIS_SERVER, ['--version'], { timeout: 5000 }, (error, stdout) => {
      resolve(error ? null : (/v=([\w.]+)/.exec(stdout)?.[1] ?? stdout.trim()));
    });
  });

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** Start redis-server on 127.0.0.1 and a free port; resolves once it accepts connections. */
export const startRedis = async (group: ProcessGroup, dir: string): Promise<RunningRedis> => {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = group.spawn(REDIS_SERVER, args);
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (message: string): void => {
      clearTimeout(timer);
      void group.stop(child).then(() => reject(new Error(`redis-server: ${message} ${out.slice(-1000).trim()}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr?.resume();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (out.includes('Ready to accept connections')) return;
      out = (out + chunk).slice(-4000);
      if (!out.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve({ child, url: `redis://127.0.0.1:${port}` });
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => fail(error.message));
  });
};
