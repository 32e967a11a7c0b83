// One "host" of the fleet: a whole lab cluster (its own primary, workers, data dir, name) on a fixed
// loopback port, so that HAProxy finds it at the same address after a restart, as it would find a
// machine that rebooted. Started in a process group of its own: `kill` ends the primary and all its
// workers at once, as a machine that loses power would.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../src/errors.js';
import type { LogFields } from '../../src/log.js';
import { sleep } from '../../src/sleep.js';
import { isAlive, type ProcessGroup } from '../lib/processes.js';
import { createLineSplitter, type ReadyEvent, readyEventOf } from '../lib/ready.js';

const LAB_CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
/**
 * After its --shutdown-delay-ms the lab finishes in-flight requests within its --shutdown-timeout-ms
 * (10 s); past this it is killed.
 */
const STOP_TIMEOUT_AFTER_DELAY_MS = 15_000;

export type HostState = 'starting' | 'running' | 'stopping' | 'down';

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: string;
  /** The fleet asked for it (stop, kill, restart); otherwise it died on its own. */
  planned: boolean;
}

export interface HostLogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

export interface FleetHost {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  state(): HostState;
  /** The running primary's pid (null while down). */
  primaryPid(): number | null;
  /** Worker pids from its ready event (the live ones are in its /cluster). */
  workerPids(): number[];
  ready(): ReadyEvent | null;
  lastExit(): HostExit | null;
  /** Start it (again); resolves once every worker listens. */
  start(): Promise<void>;
  /**
   * SIGTERM: the lab fails /healthz for its --shutdown-delay-ms (HAProxy takes it out), then stops
   * accepting, finishes in-flight requests and exits. Resolves when it is gone. `skipDelay` when no
   * balancer sends it requests any more (the fleet is stopping): a second SIGTERM once it waits.
   */
  stop(options?: { skipDelay?: boolean }): Promise<void>;
  /** SIGKILL to its whole process group (primary and workers at once). Resolves when they are gone. */
  kill(): Promise<void>;
}

export interface HostOptions {
  group: ProcessGroup;
  name: string;
  port: number;
  dataDir: string;
  workers: number;
  /** The lab's --shutdown-delay-ms (the one given after `--`, if any: those come later and win). */
  shutdownDelayMs: number;
  labArgs: readonly string[];
  /** The lab's environment, REDIS_URL included (never argv: it may carry a password). */
  env: NodeJS.ProcessEnv;
  onLog: (line: HostLogLine) => void;
  /** It exited; `planned` false when nobody asked it to. */
  onExit: (exit: HostExit) => void;
}

const LEVELS = new Set(['info', 'warn', 'error']);

/** A JSON log line of the lab, for the fleet's own log; its ready event renamed, since the fleet has its own. */
const parseLabLine = (line: string): HostLogLine | null => {
  if (!line.startsWith('{')) return line.trim() === '' ? null : { level: 'info', message: line, fields: {} };
  try {
    const { msg, level, time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const fields = rest as LogFields;
    if (fields.event === 'ready') fields.event = 'host-ready';
    return {
      level: typeof level === 'string' && LEVELS.has(level) ? (level as HostLogLine['level']) : 'info',
      message: typeof msg === 'string' ? msg : line,
      fields,
    };
  } catch {
    return { level: 'info', message: line, fields: {} };
  }
};

const waitGone = async (pids: readonly number[], timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
};

export const createHost = ({
  group,
  name,
  port,
  dataDir,
  workers,
  shutdownDelayMs,
  labArgs,
  env,
  onLog,
  onExit,
}: HostOptions): FleetHost => {
  let child: ChildProcess | null = null;
  let state: HostState = 'down';
  let ready: ReadyEvent | null = null;
  let lastExit: HostExit | null = null;
  let planned = false;
  let exited: Promise<void> = Promise.resolve();
  /** Set by stop({ skipDelay }): called when the host says it waits. */
  let skipWait: (() => void) | null = null;

  const args = [
    LAB_CLI,
    '--log-format',
    'json',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(workers),
    '--instance',
    name,
    '--data-dir',
    dataDir,
    '--shutdown-delay-ms',
    String(shutdownDelayMs),
    ...labArgs,
  ];

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (state !== 'down') {
        reject(new AppError('E_CONFIG', `${name} is ${state}; stop it first.`));
        return;
      }
      state = 'starting';
      planned = false;
      ready = null;
      const spawned = group.spawn(process.execPath, args, { env });
      child = spawned;
      let tail = '';
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        planned = true;
        void group.stop(spawned);
        reject(new AppError('E_LISTEN', `${name} was not ready within ${START_TIMEOUT_MS} ms: ${tail.trim()}`));
      }, START_TIMEOUT_MS);
      const onLine = createLineSplitter((line) => {
        tail = `${tail}\n${line}`.slice(-1500);
        const event = readyEventOf(line);
        if (event !== undefined && !settled) {
          settled = true;
          clearTimeout(timer);
          ready = event;
          state = 'running';
          group.adopt(
            spawned,
            event.workers.map((worker) => worker.pid),
          );
          resolve();
        }
        const parsed = parseLabLine(line);
        if (parsed !== null) onLog(parsed);
        if (parsed?.fields.event === 'shutdown-delay' && skipWait !== null) {
          // Its first SIGTERM is handled (this is its line): a second one now is not merged with it.
          skipWait();
          skipWait = null;
        }
      });
      spawned.stdout?.resume();
      spawned.stderr?.setEncoding('utf8');
      spawned.stderr?.on('data', onLine);
      exited = new Promise((done) => {
        spawned.once('exit', (code, signal) => {
          clearTimeout(timer);
          state = 'down';
          child = null;
          lastExit = { code, signal, at: new Date().toISOString(), planned };
          if (!settled) {
            settled = true;
            const last = tail.trim().split('\n').pop() ?? '';
            reject(
              new AppError('E_LISTEN', `${name} exited before it was ready (${signal ?? `code ${code}`}): ${last}`),
            );
          } else {
            onExit(lastExit);
          }
          done();
        });
      });
    });

  const workerPidsNow = (): number[] => ready?.workers.map((worker) => worker.pid) ?? [];

  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    state: () => state,
    primaryPid: () => child?.pid ?? null,
    workerPids: workerPidsNow,
    ready: () => ready,
    lastExit: () => lastExit,
    start,
    async stop({ skipDelay = false } = {}) {
      const running = child;
      if (running === null) return;
      planned = true;
      state = 'stopping';
      skipWait = skipDelay
        ? () => {
            if (running.exitCode === null && running.signalCode === null) running.kill('SIGTERM');
          }
        : null;
      await group.stop(running, shutdownDelayMs + STOP_TIMEOUT_AFTER_DELAY_MS);
      await exited;
      skipWait = null;
    },
    async kill() {
      const running = child;
      if (running?.pid === undefined) return;
      planned = true;
      const pids = [running.pid, ...workerPidsNow()];
      try {
        // The whole group: the primary and every worker at the same instant.
        process.kill(-running.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
      await waitGone(pids, 5000);
    },
  };
};
