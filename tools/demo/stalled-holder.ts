// The stalled lock holder, measured: load on /counter/file, one worker stalled by strace at a chosen
// system call inside its commit (or stopped there with SIGSTOP), then the answers counted: how many
// values were handed out twice, and where the counter ended. Lesson 8 and the tests both run this.
import { readFileSync } from 'node:fs';
import { sleep } from '../../src/sleep.js';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad, type Sample } from '../hammer/load.js';
import { requestJson } from '../lib/http-json.js';
import type { ProcessGroup } from '../lib/processes.js';
import { type Injection, injectFault } from '../lib/strace.js';

/** Hang guards, far above what an idle machine needs (a few seconds in all). */
const LOAD_LIMIT_MS = 120_000;
const STEP_TIMEOUT_MS = 60_000;

export interface StallOptions {
  group: ProcessGroup;
  strace: string;
  /** The lab's base URL. */
  url: string;
  /** The worker to stall. */
  victimPid: number;
  syscalls: readonly string[];
  /** strace's inject action: `delay_enter=3000000`, or `signal=SIGSTOP` (then see `stopMs`). */
  action: string;
  /** With a signal that stops the worker: keep it stopped this long, at least. @default 3000 */
  stopMs?: number;
  /** Called once the worker is seen stopped (e.g. to note the version it stopped on). */
  onStopped?: () => void;
  /** …and keep it stopped until this holds (e.g. another worker took the lock over and committed). */
  resumeWhen?: () => boolean | Promise<boolean>;
  /** Clients in flight at once, a new connection per request. @default 20 */
  concurrency?: number;
  /** Answers before the stall, and after the stalled worker answers again. @default 300 */
  answersAround?: number;
}

export interface StallResult {
  samples: Sample[];
  /** 2xx answers, and the others (503s, resets). */
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  /** 2xx answers whose value another 2xx answer also carried. */
  duplicates: number;
  /** The counter's value before and after the load, as the primary reads it. */
  start: number | null;
  final: number | null;
  /** final - start: what the load added to the count. */
  added: number | null;
  /** strace's line for the stalled call (with its result), or for the stop. */
  fault: string;
  /** Everything strace printed: the traced calls up to the fault. */
  straceOutput: string;
  /** What the stalled worker answered, over the whole run. */
  victimStatuses: Record<string, number>;
}

const waitUntil = async (probe: () => boolean | Promise<boolean>, what: string): Promise<void> => {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}.`);
    await sleep(20);
  }
};

/** `T` (stopped) or `t` (stopped by its tracer), from /proc. */
export const isStopped = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
};

const resume = (pid: number): void => {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // Gone.
  }
};

/** Values carried by more than one 2xx answer, counted once per extra answer. */
export const countDuplicates = (values: readonly number[]): number => values.length - new Set(values).size;

export const measureStalledHolder = async (options: StallOptions): Promise<StallResult> => {
  const {
    group,
    strace,
    url,
    victimPid,
    syscalls,
    action,
    stopMs = 3000,
    onStopped,
    resumeWhen = () => true,
  } = options;
  const { concurrency = 20, answersAround = 300 } = options;
  const readCount = async (): Promise<number | null> =>
    (await requestJson<ClusterStats>(`${url}/cluster`)).body.shared_counters.file ?? null;
  const start = await readCount();
  const controller = new AbortController();
  let answers = 0;
  let stallOver = false;
  let victimBack: number | null = null;
  const victimStatuses: Record<string, number> = {};
  const load = runLoad({
    urls: [`${url}/counter/file`],
    concurrency,
    durationMs: LOAD_LIMIT_MS,
    signal: controller.signal,
    onSample: (sample) => {
      answers += 1;
      if (sample.workerPid !== victimPid) return;
      const status = String(sample.status ?? sample.error ?? 'none');
      victimStatuses[status] = (victimStatuses[status] ?? 0) + 1;
      if (stallOver) victimBack ??= answers;
    },
  });
  let injection: Injection | null = null;
  let fault = '';
  const stops = action.startsWith('signal=SIGSTOP');
  try {
    await waitUntil(() => answers >= answersAround, `${answersAround} answers before the stall`);
    injection = await injectFault({ group, strace, pid: victimPid, syscalls, action });
    fault = await Promise.race([
      injection.happened,
      sleep(STEP_TIMEOUT_MS).then(() => {
        throw new Error(`strace's fault never happened within ${STEP_TIMEOUT_MS} ms:\n${injection?.output()}`);
      }),
    ]);
    if (stops) {
      // The stop lasts until SIGCONT. strace stays attached meanwhile: detaching from a process in a
      // group stop is where tracers differ, and SIGCONT ends the stop either way.
      await waitUntil(() => isStopped(victimPid), `pid ${victimPid} to be stopped`);
      onStopped?.();
      await sleep(stopMs);
      await waitUntil(resumeWhen, 'the condition to resume the stopped worker');
      resume(victimPid);
    }
    await injection.stop();
    stallOver = true;
    await waitUntil(
      () => victimBack !== null && answers >= victimBack + answersAround,
      `the stalled worker to answer again, then ${answersAround} more answers`,
    );
  } finally {
    controller.abort();
    if (stops) resume(victimPid);
    await injection?.stop();
  }
  const { samples } = await load;
  const statuses: Record<string, number> = {};
  for (const sample of samples) {
    const key = String(sample.status ?? sample.error ?? 'none');
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const values = samples.flatMap((sample) =>
    sample.status !== null && sample.status < 300 && sample.count !== undefined ? [sample.count] : [],
  );
  const final = await readCount();
  return {
    samples,
    ok: values.length,
    failed: samples.length - values.length,
    statuses,
    duplicates: countDuplicates(values),
    start,
    final,
    added: start === null || final === null ? null : final - start,
    fault,
    straceOutput: injection?.output() ?? '',
    victimStatuses,
  };
};
