// Lesson 8: a lock is a lease. A holder that stalls past it (GC pause, SIGSTOP, swap) loses it without
// knowing and writes late; only the storage can refuse that write (a fencing token). Measured on two
// clusters, the file counter with --file-fencing off and on, one worker stalled 3 s by strace.
import { formatNumber, formatTable } from '../hammer/text.js';
import { ProcessGroup } from '../lib/processes.js';
import { findStrace, STRACE_MISSING } from '../lib/strace.js';
import type { Lesson } from './lessons-isolation.js';
import { measureStalledHolder, type StallResult } from './stalled-holder.js';

const STALL_MS = 3000;
const CLIENTS = 20;
const RENAMES = ['rename', 'renameat', 'renameat2'];
const SYMLINKS = ['symlink', 'symlinkat'];

/** `rename → 0`, `symlink → EEXIST`: the stalled call and what the kernel answered it. */
export const describeFault = (line: string): string => {
  const match = /(?:^|\] )(\w+)\(.*\) = (?:-1 (\w+)|(\d+))/.exec(line);
  return match === null ? '?' : `${match[1]} → ${match[2] ?? match[3]}`;
};

const count = (value: number | null): string => (value === null ? 'unreadable' : formatNumber(value));

const row = (mode: string, result: StallResult): string[] => [
  mode,
  describeFault(result.fault),
  formatNumber(result.ok),
  formatNumber(result.failed),
  formatNumber(result.duplicates),
  count(result.added),
];

export const fencingLessons: Lesson[] = [
  {
    number: 8,
    title: 'A stalled lock holder, with and without fencing',
    async run(stage, out) {
      const strace = await findStrace();
      if (strace === null) {
        out(`${STRACE_MISSING} This lesson's measurement is skipped.`);
        return;
      }
      const group = new ProcessGroup();
      const results = new Map<string, StallResult>();
      try {
        for (const mode of ['off', 'on']) {
          const lab = await stage.startLab(['--file-fencing', mode]);
          results.set(
            mode,
            await measureStalledHolder({
              group,
              strace,
              url: lab.url,
              victimPid: lab.workerPids[0] ?? 0,
              // Off: the injection, at the rename that commits. On: the commit is a symlink.
              syscalls: mode === 'off' ? RENAMES : [...SYMLINKS, ...RENAMES],
              action: `delay_enter=${STALL_MS * 1000}`,
              concurrency: CLIENTS,
            }),
          );
          await stage.stopLab(lab);
        }
      } finally {
        await group.stopAll();
      }
      const off = results.get('off') as StallResult;
      const on = results.get('on') as StallResult;
      out(
        `/counter/file, ${CLIENTS} clients on new connections, ${stage.workers} workers; one worker's commit held ` +
          `${STALL_MS / 1000} s by strace (-e inject=<call>:delay_enter=${STALL_MS * 1000}), the lock's lease being 2 s:`,
      );
      const header = ['fencing', 'stalled call', '2xx', 'failed', 'values twice', 'count added'];
      for (const line of formatTable(header, [row('off', off), row('on', on)], new Set([2, 3, 4, 5]))) out(`  ${line}`);
      out();
      out(
        'Off (the lab before): after 2 s another worker judged the lock stale, took it over and counted on; then ' +
          `the stalled rename went through and put its old count back. ${formatNumber(off.duplicates)} of ` +
          `${formatNumber(off.ok)} values were handed out twice, and the counter added ${count(off.added)} for ` +
          `${formatNumber(off.ok)} answers.`,
      );
      out(
        `On: each version is a name that can be created once. The late symlink found its version taken (EEXIST), ` +
          `so that worker's batch answered 503 and handed out nothing: ${formatNumber(on.duplicates)} values twice, ` +
          `and the counter added ${count(on.added)}, within [${formatNumber(on.ok)}, ${formatNumber(on.ok + on.failed)}] ` +
          '(2xx, 2xx + failed).',
      );
      out(
        'A lock is a lease: its holder can lose it at any instruction without knowing. Only the storage can refuse ' +
          "the late write, by checking a token that grows with each holder: here the version number, and the kernel's EEXIST.",
      );
    },
  },
];
