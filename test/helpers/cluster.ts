// Starts the built CLI as a real process tree (primary + workers) on a free port, remembers every pid
// it ever printed, and stops them all, checking that none is left behind.

import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { inject } from 'vitest';
import { sleep } from '../../src/sleep.js';
import { type JsonAnswer, requestJson } from '../../tools/lib/http-json.js';
import { isAlive } from '../../tools/lib/processes.js';
import { createLineSplitter, type ReadyEvent, readyEventOf } from '../../tools/lib/ready.js';

export { isAlive };

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;

export interface ClusterProcess {
  url: string;
  port: number;
  primaryPid: number;
  /** Worker pids from the ready event, in worker-id order. */
  workerPids: number[];
  /** The cluster's ready event (its primary logs it with `--log-format json`). */
  ready: ReadyEvent;
  /** Every pid this cluster has printed, replacements included. */
  readonly seenPids: Set<number>;
  readonly child: ResultPromise;
  stdout(): string;
  stderr(): string;
  /** Wait for a line on stderr matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const running = new Set<ClusterProcess>();

/**
 * Poll `probe` until it returns a value. A probe that throws (a request that met a dying worker) is
 * tried again; the last error is reported if time runs out.
 */
export const waitFor = async <T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof ProbeAbort) throw error.cause;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`, { cause: lastError });
    }
    await sleep(25);
  }
};

/** Thrown from a waitFor probe to stop waiting at once. */
export class ProbeAbort extends Error {}

/** Run the CLI to completion (for argument errors and --help). */
export const runCli = async (args: string[], env: Record<string, string> = {}) => {
  // Never the default ./.data of the checkout: each run gets its own data dir unless it names one.
  const dataDir = args.includes('--data-dir') ? [] : ['--data-dir', await makeTempDir()];
  return execa('node', [CLI, ...dataDir, ...args], { reject: false, env, timeout: START_TIMEOUT_MS });
};

export interface StartOptions {
  env?: Record<string, string>;
  /**
   * Let the cluster find Redis by itself (start a private redis-server) instead of handing it the
   * test project's one. @default false
   */
  autoRedis?: boolean;
  /**
   * Start it in a process group of its own, so that a test can signal the whole group as a terminal's
   * Ctrl-C does (`process.kill(-primaryPid, 'SIGINT')`). @default false
   */
  detached?: boolean;
}

/** A fresh temp directory, removed after the test file. */
export const makeTempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'csl-test-'));
  tempDirs.push(dir);
  return dir;
};
const tempDirs: string[] = [];

/** Remove every temp dir the tests made (for afterAll). */
export const removeTempDirs = async (): Promise<void> => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
};

/** Pids a log line names: `pid 123` in text, `"pid":123` (and `worker_pid`…) in JSON. */
const PID_IN_LOG = /(?:\bpid |"pid":)(\d+)/g;

/**
 * Start a cluster on a free port and wait for its ready event. Unless the args say otherwise it gets
 * a fresh data dir, the test project's redis-server and JSON logs (so the ready event is logged).
 */
export const startCluster = async (
  args: string[],
  { env = {}, autoRedis = false, detached = false }: StartOptions = {},
): Promise<ClusterProcess> => {
  const defaults: string[] = [];
  if (!args.includes('--data-dir')) defaults.push('--data-dir', await makeTempDir());
  if (!autoRedis && !args.includes('--redis-url')) defaults.push('--redis-url', inject('redisUrl'));
  if (!args.includes('--log-format')) defaults.push('--log-format', 'json');
  const child = execa('node', [CLI, '--port', '0', ...defaults, ...args], {
    reject: false,
    env,
    buffer: false,
    detached,
  });
  let out = '';
  let err = '';
  const seenPids = new Set<number>();
  if (child.pid !== undefined) seenPids.add(child.pid);
  let ready: ReadyEvent | undefined;
  const harvest = (line: string): void => {
    for (const match of line.matchAll(PID_IN_LOG)) seenPids.add(Number(match[1]));
    ready ??= readyEventOf(line);
  };
  const outLines = createLineSplitter(harvest);
  const errLines = createLineSplitter(harvest);
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    outLines(chunk);
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
    errLines(chunk);
  });

  const cluster: ClusterProcess = {
    url: '',
    port: 0,
    primaryPid: child.pid ?? 0,
    workerPids: [],
    ready: { url: '', ready_ms: 0, workers: [] },
    seenPids,
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLog: (pattern, timeoutMs = 20_000) =>
      waitFor(() => pattern.exec(err)?.[0], timeoutMs, `a log line matching ${pattern}`),
  };
  running.add(cluster);

  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const event = await waitFor(
    () => {
      if (ready !== undefined) return ready;
      if (exited)
        throw new ProbeAbort('ready', {
          cause: new Error(`The cluster exited before it was ready.\nstdout: ${out}\nstderr: ${err}`),
        });
      return undefined;
    },
    START_TIMEOUT_MS,
    'the ready event',
  );
  cluster.ready = event;
  cluster.url = event.url;
  cluster.port = Number(new URL(event.url).port);
  cluster.workerPids = [...event.workers].sort((a, b) => a.id - b.id).map((worker) => worker.pid);
  for (const pid of cluster.workerPids) expectPid(pid);
  return cluster;
};

/** A pid read from output must be one before `isAlive` is asked about it. */
export const expectPid = (pid: number | undefined): number => {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) throw new Error(`Expected a pid, got ${pid}.`);
  return pid;
};

/** SIGTERM the primary, wait for it, then make sure every pid it ever had is gone. */
export const stopCluster = async (cluster: ClusterProcess, signal: NodeJS.Signals = 'SIGTERM') => {
  running.delete(cluster);
  if (isAlive(cluster.primaryPid)) process.kill(cluster.primaryPid, signal);
  const timer = setTimeout(() => {
    for (const pid of cluster.seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  const result = await cluster.child;
  clearTimeout(timer);
  // Workers exit when their primary does; give them a moment, then nothing may be left.
  await waitFor(
    () => ([...cluster.seenPids].some(isAlive) ? undefined : true),
    15_000,
    `every pid of the cluster to exit (${[...cluster.seenPids].join(', ')})`,
  ).catch((error: unknown) => {
    for (const pid of cluster.seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    throw error;
  });
  return result;
};

/** For afterEach: stop whatever a test started, even when it failed half-way. */
export const stopAllClusters = async (): Promise<void> => {
  const clusters = [...running];
  await Promise.all(clusters.map((cluster) => stopCluster(cluster)));
  await removeTempDirs();
};

/** A PATH with node on it and no redis-server: for what the lab does on a machine without Redis. */
export const pathWithoutRedis = async (): Promise<string> => {
  const dir = await makeTempDir();
  await symlink(process.execPath, join(dir, 'node'));
  return dir;
};

/** One request on a fresh connection (so the round robin picks a worker again), JSON body parsed. */
export const getJson = <T = Record<string, unknown>>(
  url: string,
  options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<JsonAnswer<T>> => requestJson<T>(url, options);
