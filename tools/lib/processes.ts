// Every process the bench (and the demo) starts goes through one ProcessGroup, so that a failure or Ctrl-C stops
// all of them by pid: servers (and the worker pids their banners list), autocannon, lock workers.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep } from '../../src/sleep.js';
import { createLineSplitter, readyEventOf } from './ready.js';

const STOP_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 20_000;
const TAIL_CHARS = 4000;

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * Running, and not a zombie (a container's init does not always reap orphans' exit status). A pid
 * that is not a positive integer is a caller's bug (a line that was never found), not a dead process:
 * `process.kill(NaN, 0)` would throw and read as "gone".
 */
export const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) throw new TypeError(`isAlive: not a pid: ${pid}`);
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux): signal 0 answered, so it is there.
    return true;
  }
};

const killQuietly = (pid: number | undefined, signal: NodeJS.Signals): void => {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

const waitForExit = (child: ChildProcess, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (hasExited(child)) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

export class ProcessGroup {
  readonly #children = new Set<ChildProcess>();
  /** Pids a child reported as its own children (cluster workers), checked and killed on stop. */
  readonly #descendants = new Map<ChildProcess, number[]>();
  #closed = false;
  /** Every pid ever started or adopted, for the record (and for tests that check none is left). */
  readonly started = new Set<number>();

  /**
   * Each child gets its own process group (detached), so a Ctrl-C in the terminal reaches the bench
   * alone, and the bench stops its children in order, by pid.
   */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.#closed) throw new Error('The bench is stopping; no new process.');
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
    this.#children.add(child);
    if (child.pid !== undefined) this.started.add(child.pid);
    // Without a listener a failed spawn (ENOENT) would be an uncaught 'error' event.
    child.on('error', () => {});
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  adopt(child: ChildProcess, pids: readonly number[]): void {
    this.#descendants.set(child, [...pids]);
    for (const pid of pids) this.started.add(pid);
  }

  /** SIGTERM, wait, SIGKILL if needed; then make sure the pids it reported are gone too. */
  async stop(child: ChildProcess, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (!hasExited(child)) killQuietly(child.pid, 'SIGTERM');
    if (!(await waitForExit(child, timeoutMs))) {
      killQuietly(child.pid, 'SIGKILL');
      await waitForExit(child, 2000);
    }
    const descendants = this.#descendants.get(child) ?? [];
    this.#descendants.delete(child);
    for (let waited = 0; descendants.some(isAlive) && waited < 3000; waited += 50) await sleep(50);
    for (const pid of descendants) if (isAlive(pid)) killQuietly(pid, 'SIGKILL');
  }

  /** Stop everything and refuse to start anything more. */
  async stopAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#children, ...this.#descendants.keys()].map((child) => this.stop(child)));
  }

  /** A second Ctrl-C: no more waiting. */
  killAll(): void {
    for (const child of this.#children) killQuietly(child.pid, 'SIGKILL');
    for (const pids of this.#descendants.values()) for (const pid of pids) killQuietly(pid, 'SIGKILL');
  }
}

/** A cluster (the lab or the baseline) that announced it is ready. */
export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Worker pids from the ready event. */
  workerPids: number[];
  /** Time since its primary started, from the ready event. */
  readyMs: number;
  stderrTail(): string;
}

export interface StartServerOptions {
  group: ProcessGroup;
  label: string;
  /** `node` arguments; a lab must get `--log-format json`, so that it logs its ready event. */
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Start `node <args>` and wait for its ready event (a JSON line on stderr). */
export const startServer = ({ group, label, args, env }: StartServerOptions): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    const child = group.spawn(process.execPath, args, { env: env ?? process.env });
    let err = '';
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void group.stop(child).then(() => reject(new Error(`${label}: ${message}\n${err.slice(-TAIL_CHARS).trim()}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onLine = createLineSplitter((line) => {
      const ready = settled ? undefined : readyEventOf(line);
      if (ready === undefined) return;
      settled = true;
      clearTimeout(timer);
      const workerPids = ready.workers.map((worker) => worker.pid);
      group.adopt(child, workerPids);
      resolve({ child, url: ready.url, workerPids, readyMs: ready.ready_ms, stderrTail: () => err.slice(-TAIL_CHARS) });
    });
    // stdout (the banner, for people) is not needed; drain it so the child never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      err = (err + chunk).slice(-TAIL_CHARS);
      onLine(chunk);
    });
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `code ${code}`})`));
    child.once('error', (error) => fail(error.message));
  });
