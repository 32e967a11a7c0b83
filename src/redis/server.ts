// A private redis-server for when the user gave no --redis-url: started from PATH on a free loopback
// port, its append-only file under the data dir (so Redis state survives a cluster restart as a real
// server's would), and stopped with the cluster. The tests start theirs with the same code. With a
// password, its configuration goes in on stdin (`redis-server -`), so that neither `ps` nor
// /proc/<pid>/cmdline shows it, and the files it creates are its owner's alone (umask 077).
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { AppError } from '../errors.js';

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

export interface RedisExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RedisServer {
  /** With the password, if any: for clients, never for people. */
  url: string;
  port: number;
  pid: number;
  /** Settles when the process exits, whoever ended it. */
  exited: Promise<RedisExit>;
  /** Its last lines of output (why it died, when it did). */
  lastOutput(): string;
  /**
   * SIGTERM (Redis writes its append-only file and exits), SIGKILL past STOP_TIMEOUT_MS. Resolves to
   * true when it was running and is now stopped, false when it had already exited.
   */
  stop(): Promise<boolean>;
}

export interface RedisServerOptions {
  /** Directory for its files. */
  dir: string;
  /** Keep an append-only file, so that data survives a restart. @default true */
  appendOnly?: boolean;
  /** A fixed port, e.g. to restart a server where it was. @default a free port */
  port?: number;
  /** `requirepass`: clients must AUTH. Also keeps its files private (umask 077). @default none */
  password?: string;
  /** `maxmemory` in MiB, with `maxmemory-policy volatile-lru` (only keys with a TTL are evicted). @default unbounded */
  maxMemoryMb?: number;
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
  password,
  maxMemoryMb,
  spawnProcess = spawn,
}: RedisServerOptions): Promise<RedisServer> => {
  const executable = await findRedisServer();
  if (executable === null) throw new AppError('E_REDIS_DISABLED', 'No redis-server on PATH.');
  await mkdir(dir, { recursive: true, mode: password === undefined ? 0o777 : 0o700 });
  const chosenPort = port ?? (await findFreePort());
  const memory =
    maxMemoryMb === undefined ? [] : ['--maxmemory', `${maxMemoryMb}mb`, '--maxmemory-policy', 'volatile-lru'];
  const spawnIt = () =>
    spawnProcess(
      executable,
      [
        // The configuration file is stdin: only the password goes there, the rest is plain to see.
        '-',
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
        ...memory,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
  const child = password === undefined ? spawnIt() : withPrivateUmask(spawnIt);
  child.stdin?.on('error', () => {}); // it may die before reading its configuration
  child.stdin?.end(password === undefined ? '' : `requirepass ${password}\n`);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<RedisExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = async (): Promise<boolean> => {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    return true;
  };

  // Ready when it accepts a PING; give up (and clean up) if it exits or takes too long.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      throw new AppError('E_REDIS_DOWN', `redis-server exited at start-up: ${output.trim().split('\n').pop() ?? ''}`);
    }
    if (await ping(chosenPort, password)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new AppError(
        'E_REDIS_DOWN',
        `redis-server did not answer on port ${chosenPort} within ${START_TIMEOUT_MS} ms.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    url: `redis://${auth}127.0.0.1:${chosenPort}`,
    port: chosenPort,
    pid: child.pid ?? 0,
    exited,
    lastOutput: () => output.trim(),
    stop,
  };
};

/** Spawn with umask 077, so that what the child creates (its append-only files) is its owner's alone. */
const withPrivateUmask = <T>(spawnIt: () => T): T => {
  let previous: number | undefined;
  try {
    previous = process.umask(0o077);
  } catch {
    // Not settable here (a worker thread): the 0700 directory still keeps everyone else out.
  }
  try {
    return spawnIt();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
};

/** A RESP command, as Redis reads it whatever bytes its arguments hold. */
const resp = (...args: string[]): string =>
  `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;

/**
 * One raw PING over RESP (after AUTH with a password), without a client library: is our Redis
 * answering? A Redis that refuses the password — another one on that port — is not ours: false.
 */
const ping = (port: number, password?: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const replies = password === undefined ? 1 : 2;
    let received = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () =>
      socket.write(`${password === undefined ? '' : resp('AUTH', password)}${resp('PING')}`),
    );
    socket.on('data', (data) => {
      received += data.toString();
      if (received.split('\r\n').length > replies) done(received.endsWith('+PONG\r\n'));
    });
  });
