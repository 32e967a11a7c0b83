// The real load balancer: Debian's haproxy, found on PATH, its configuration checked (`-c`) before it
// starts, run in the foreground (`-db`) as a child of the fleet, so that it is stopped by its pid and
// its warnings (a server going DOWN or UP) arrive on its stderr, line by line.
import { type ChildProcess, execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../src/errors.js';
import { sleep } from '../../src/sleep.js';
import type { ProcessGroup } from '../lib/processes.js';
import { createLineSplitter } from '../lib/ready.js';
import { createRuntimeApi, type RuntimeApi } from './runtime-api.js';

const run = promisify(execFile);
const START_TIMEOUT_MS = 10_000;
const SOFT_STOP_TIMEOUT_MS = 5000;

export const HAPROXY_MISSING =
  'HAProxy is not installed: the fleet puts a real load balancer in front of its hosts. Install it with `apt-get install -y haproxy` (Debian/Ubuntu, as root).';

/** The haproxy executable on PATH (Debian puts it in /usr/sbin), or null. */
export const findHaproxy = async (env: NodeJS.ProcessEnv = process.env): Promise<string | null> => {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, 'haproxy'), constants.X_OK);
      return join(dir, 'haproxy');
    } catch {
      // not in this directory
    }
  }
  return null;
};

/** haproxy on PATH, or the E_CONFIG error (exit code 2) that says how to install it. */
export const requireHaproxy = async (env: NodeJS.ProcessEnv = process.env): Promise<string> => {
  const found = await findHaproxy(env);
  if (found === null) throw new AppError('E_CONFIG', HAPROXY_MISSING);
  return found;
};

/** `2.6.12-1+deb12u4` from `haproxy -v`. */
export const haproxyVersion = async (executable: string): Promise<string> => {
  const { stdout } = await run(executable, ['-v']);
  return /version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
};

/** `haproxy -c`: the configuration's errors, in HAProxy's words, before anything listens. */
export const checkHaproxyConfig = async (executable: string, configPath: string): Promise<void> => {
  try {
    await run(executable, ['-c', '-q', '-f', configPath]);
  } catch (error) {
    const output = `${(error as { stderr?: string }).stderr ?? ''}${(error as { stdout?: string }).stdout ?? ''}`;
    throw new AppError('E_CONFIG', `HAProxy refused the configuration ${configPath}: ${alerts(output)}`, {
      cause: error,
    });
  }
};

const alerts = (output: string): string =>
  output
    .split('\n')
    .filter((line) => /\[ALERT\]|\[WARNING\]/.test(line))
    .map((line) => line.replace(/^\[(ALERT|WARNING)\]\s*\(\d+\)\s*:\s*/, ''))
    .join(' ')
    .trim() || output.trim();

export interface HaproxyLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface RunningHaproxy {
  child: ChildProcess;
  pid: number;
  version: string;
  api: RuntimeApi;
  /** Settles when it exits, whoever ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Soft stop (SIGUSR1: stop listening, let requests in progress finish), then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

export interface StartHaproxyOptions {
  group: ProcessGroup;
  executable: string;
  configPath: string;
  statsSocket: string;
  /** Each line HAProxy writes (server UP/DOWN, alerts). */
  onLine: (line: HaproxyLine) => void;
}

/** HAProxy's own level, except its soft stop, which it reports as warnings ("Proxy hosts stopped"). */
const levelOf = (line: string): HaproxyLine['level'] => {
  if (line.startsWith('[ALERT]')) return 'error';
  if (line.startsWith('[WARNING]') && !/: Proxy \S+ stopped|: Stopping /.test(line)) return 'warn';
  return 'info';
};

export const startHaproxy = async ({
  group,
  executable,
  configPath,
  statsSocket,
  onLine,
}: StartHaproxyOptions): Promise<RunningHaproxy> => {
  const version = await haproxyVersion(executable);
  await checkHaproxyConfig(executable, configPath);
  const child = group.spawn(executable, ['-db', '-f', configPath]);
  let tail = '';
  const split = createLineSplitter((line) => {
    if (line.trim() === '') return;
    tail = `${tail}\n${line}`.slice(-2000);
    onLine({ level: levelOf(line), message: line.replace(/^\[(ALERT|WARNING|NOTICE)\]\s*\(\d+\)\s*:\s*/, '') });
  });
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', split);
  child.stderr?.on('data', split);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const api = createRuntimeApi(statsSocket);
  const stop = async (): Promise<void> => {
    if (gone) return;
    child.kill('SIGUSR1');
    const timer = setTimeout(() => child.kill('SIGKILL'), SOFT_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  // Ready once its Runtime API answers (it opens the socket after binding every listener).
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gone) {
      throw new AppError('E_LISTEN', `haproxy exited at start-up: ${alerts(tail)}`);
    }
    if ((await api.run('show info').catch(() => '')).includes('Pid:')) break;
    if (Date.now() > deadline) {
      await stop();
      throw new AppError(
        'E_LISTEN',
        `haproxy did not open its Runtime API within ${START_TIMEOUT_MS} ms: ${alerts(tail)}`,
      );
    }
    await sleep(25);
  }
  return { child, pid: child.pid ?? 0, version, api, exited, stop };
};
