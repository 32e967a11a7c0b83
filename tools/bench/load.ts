// Measurements go to one autocannon process (./autocannon-runner.js), one at a time, as JSON lines.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProcessGroup } from '../lib/processes.js';

const RUNNER = fileURLToPath(new URL('./autocannon-runner.js', import.meta.url));
/** Beyond the measurement itself: connecting, the last sample, a slow machine. */
const RUNNER_GRACE_MS = 30_000;
/** An amount-mode run has no duration; this bounds it. */
const AMOUNT_LIMIT_MS = 60_000;

export interface RunnerInput {
  id: number;
  url: string;
  /** Paths each connection cycles over; the first is also in `url`. */
  paths: string[];
  connections: number;
  /** Run for this long… */
  durationS?: number;
  /** …or until exactly this many answers (every request gets its answer; no socket is cut). */
  amount?: number;
  sampleIntMs?: number;
}

export type RunnerOutput = { id: number; summary: LoadSummary } | { id: number; error: string };

/** What the bench keeps of one autocannon result. */
export interface LoadSummary {
  /** Mean of autocannon's per-second samples. */
  requests_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_mean_ms: number;
  ok_2xx: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  total: number;
  duration_s: number;
  /**
   * CPU time the server's processes used per answered request, in µs (set by the bench, not by
   * autocannon): less moved than requests/s by other load on the machine.
   */
  server_cpu_us_per_request?: number | null;
}

export interface LoadOptions {
  baseUrl: string;
  paths: readonly string[];
  connections: number;
  durationS?: number;
  amount?: number;
}

export type RunLoad = (options: LoadOptions) => Promise<LoadSummary>;

/** A function that runs one measurement at a time in a shared autocannon process (started on first use). */
export const createLoadRunner = (group: ProcessGroup): RunLoad => {
  let child: ChildProcess | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (summary: LoadSummary) => void; reject: (error: Error) => void }>();
  let queue: Promise<unknown> = Promise.resolve();

  const start = (): ChildProcess => {
    const runner = group.spawn(process.execPath, [RUNNER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    // Writing to a runner that just died is reported by 'close' below, not as an uncaught error.
    runner.stdin?.on('error', () => {});
    runner.stderr?.setEncoding('utf8');
    runner.stderr?.on('data', (chunk: string) => {
      err = (err + chunk).slice(-2000);
    });
    createInterface({ input: runner.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const output = JSON.parse(line) as RunnerOutput;
      const waiter = pending.get(output.id);
      pending.delete(output.id);
      if ('error' in output) waiter?.reject(new Error(output.error));
      else waiter?.resolve(output.summary);
    });
    runner.once('close', (code, signal) => {
      if (child === runner) child = undefined;
      for (const waiter of pending.values()) {
        waiter.reject(new Error(`the autocannon process ended (${signal ?? `code ${code}`}) ${err.trim()}`));
      }
      pending.clear();
    });
    return runner;
  };

  const measure = ({ baseUrl, paths, connections, durationS, amount }: LoadOptions): Promise<LoadSummary> => {
    const runner = child ?? start();
    child = runner;
    const id = ++nextId;
    const input: RunnerInput = {
      id,
      url: `${baseUrl}${paths[0] ?? '/'}`,
      paths: [...paths],
      connections,
      ...(amount === undefined ? { durationS } : { amount, sampleIntMs: 50 }),
    };
    return new Promise<LoadSummary>((resolve, reject) => {
      const limitMs = amount === undefined ? (durationS ?? 0) * 1000 + RUNNER_GRACE_MS : AMOUNT_LIMIT_MS;
      // A stuck run: stop the process (the next measurement starts a fresh one).
      const timer = setTimeout(() => void group.stop(runner), limitMs);
      pending.set(id, {
        resolve: (summary) => {
          clearTimeout(timer);
          resolve(summary);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(new Error(`autocannon on ${input.url}: ${error.message}`));
        },
      });
      runner.stdin?.write(`${JSON.stringify(input)}\n`);
    });
  };

  // Serialised: two measurements at once would measure each other.
  return (options) => {
    const run = queue.then(() => measure(options));
    queue = run.catch(() => undefined);
    return run;
  };
};
