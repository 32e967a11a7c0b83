// strace as a fault injector, for the lessons and the tests: attach to a running process and delay
// its next call of some system calls, or stop it there with a signal, as an operator would by hand:
//   strace -f -p <pid> -e inject=rename,renameat,renameat2:delay_enter=3000000:when=1
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { ProcessGroup } from './processes.js';
import { createLineSplitter } from './ready.js';

const ATTACH_TIMEOUT_MS = 10_000;

/** strace's path on PATH, or null. */
export const findStrace = async (env: NodeJS.ProcessEnv = process.env): Promise<string | null> => {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, 'strace'), constants.X_OK);
      return join(dir, 'strace');
    } catch {
      // not in this directory
    }
  }
  return null;
};

export const STRACE_MISSING =
  'strace is not installed (apt-get install strace): it is what stalls a worker at a chosen system call.';

export interface InjectOptions {
  group: ProcessGroup;
  strace: string;
  /** The process to attach to (all its threads). */
  pid: number;
  /** System calls to act on, e.g. ['symlink', 'symlinkat']. */
  syscalls: readonly string[];
  /** strace's inject action: `delay_enter=3000000` (µs), `signal=SIGSTOP`. Applied once (`when=1`). */
  action: string;
}

export interface Injection {
  /** strace's own pid. */
  pid: number;
  /** strace's line once the fault happened: the delayed call returned, or the signal stopped the process. */
  happened: Promise<string>;
  output(): string;
  /** Detach (SIGTERM) and wait for strace to exit. */
  stop(): Promise<void>;
}

/** Attach strace and arm the fault; resolves once strace has attached to every thread. */
export const injectFault = ({ group, strace, pid, syscalls, action }: InjectOptions): Promise<Injection> =>
  new Promise((resolve, reject) => {
    const list = syscalls.join(',');
    const child = group.spawn(strace, [
      '-f',
      '-p',
      String(pid),
      '-e',
      `trace=${list}`,
      '-e',
      `inject=${list}:${action}:when=1`,
    ]);
    let output = '';
    const done = action.startsWith('signal=') ? /--- stopped by SIG\w+ ---/ : /\(DELAYED\)\s*$/;
    let onHappened: (line: string) => void = () => {};
    const happened = new Promise<string>((settle) => {
      onHappened = settle;
    });
    const injection: Injection = {
      pid: child.pid ?? 0,
      happened,
      output: () => output,
      stop: () => group.stop(child),
    };
    const timer = setTimeout(() => {
      void injection.stop();
      reject(new Error(`strace did not attach to pid ${pid} within ${ATTACH_TIMEOUT_MS} ms:\n${output}`));
    }, ATTACH_TIMEOUT_MS);
    const onLine = createLineSplitter((line) => {
      if (/^\S*strace: Process \d+ attached/.test(line)) {
        clearTimeout(timer);
        resolve(injection);
      }
      if (done.test(line)) onHappened(line);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      output += chunk;
      onLine(chunk);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`strace exited (${signal ?? `code ${code}`}) before it attached to pid ${pid}:\n${output}`));
    });
  });
