import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, type } from 'node:os';
import type { MachineInfo } from './result.js';

export const describeMachine = (redis: string | null): MachineInfo => ({
  cpus: availableParallelism(),
  cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
  os: `${type()} ${release()}`,
  node: process.version,
  redis,
  load_average_at_start: loadavg().map((load) => Math.round(load * 100) / 100),
});

/** Resident memory of a process from /proc/<pid>/status (VmRSS), in MB; null off Linux or once gone. */
export const readRssMb = async (pid: number): Promise<number | null> => {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? null : Math.round((Number(kb) / 1024) * 10) / 10;
  } catch {
    return null;
  }
};

/**
 * How long the bench waits for an idle worker to give memory back after a load: the worker's idle
 * shrink starts after 6 s of quiet and may take four scavenges 3 s apart before its full collection
 * (src/worker/idle-shrink.ts), about 20 s in all, and freed pages go back to the system a little later.
 */
export const SETTLE_LIMIT_S = 30;

export const readRssOfAll = async (pids: readonly number[]): Promise<number[]> =>
  (await Promise.all(pids.map(readRssMb))).filter((mb): mb is number => mb !== null);

/** USER_HZ: the unit of /proc/<pid>/stat's CPU times on Linux (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) one process has used so far, in ms; null off Linux or once gone. */
const readCpuMsOf = async (pid: number): Promise<number | null> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_S : null;
  } catch {
    return null;
  }
};

/** CPU time used so far by all of `pids` together, in ms; null when none can be read. */
export const readCpuMs = async (pids: readonly number[]): Promise<number | null> => {
  const times = (await Promise.all(pids.map(readCpuMsOf))).filter((ms): ms is number => ms !== null);
  return times.length === 0 ? null : times.reduce((sum, ms) => sum + ms, 0);
};
