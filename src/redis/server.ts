// A private redis-server for when the user gave no --redis-url: started from PATH on a free loopback
// port, its append-only file under the data dir (so Redis state survives a cluster restart as a real
// server's would), and stopped with the cluster. The tests start theirs with the same code.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { AppError } from '../errors.js';

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM (Redis writes its append-only file and exits), SIGKILL past STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Directory for its files. */
  dir: string;
  /** Keep an append-only file, so that data survives a restart. @default true */
  appendOnly?: boolean;
  /** A fixed port, e.g. to restart a server where it was. @default a free port */
  port?: number;
  /** How to start the process, e.g. a process group's spawn that stops it on Ctrl-C. @default child_process.spawn */
  spawnProcess?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

/** The redis-server executable on PATH, or null. */
export const findRedisServer = async (env: NodeJS.ProcessEnv = process.env): Promise<string | null> => {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
};

/** A port that was free a moment ago (the kernel picks it; the server binds it right after). */
export const findFreePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

export const startRedisServer = async ({
  dir,
  appendOnly = true,
  port,
  spawnProcess = spawn,
}: RedisServerOptions): Promise<RedisServer> => {
  const executable = await findRedisServer();
  if (executable === null) throw new AppError('E_REDIS_DISABLED', 'No redis-server on PATH.');
  await mkdir(dir, { recursive: true });
  const chosenPort = port ?? (await findFreePort());
  const child = spawnProcess(
    executable,
    [
      '--port',
      String(chosenPort),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      appendOnly ? 'yes' : 'no',
      '--save',
      '',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  // Ready when it accepts a PING; give up (and clean up) if it exits or takes too long.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new AppError('E_REDIS_DOWN', `redis-server exited at start-up: ${output.trim().split('\n').pop() ?? ''}`);
    }
    if (await ping(chosenPort)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new AppError(
        'E_REDIS_DOWN',
        `redis-server did not answer on port ${chosenPort} within ${START_TIMEOUT_MS} ms.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url: `redis://127.0.0.1:${chosenPort}`, port: chosenPort, pid: child.pid ?? 0, stop };
};

/** One raw PING over RESP, without a client library: is something answering like Redis? */
const ping = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
