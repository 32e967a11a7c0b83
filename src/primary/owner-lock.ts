// Who owns a directory (here: a private redis-server's): a small record with the owner's pid, its
// start time and its host, put in place with link(), so it appears complete or not at all. Node has
// no flock(), which the kernel would release when the owner dies; instead a record whose owner is
// gone is taken over at once. "Gone" is checked by pid and start time, so a recycled pid does not
// pass for the owner; an owner on another host cannot be checked, so it counts as alive.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { AppError } from '../errors.js';

export interface OwnerRecord {
  pid: number;
  /** Start time of the process (/proc/<pid>/stat, field 22), or null where there is no /proc. */
  started: string | null;
  host: string;
}

export type OwnerLockResult =
  | {
      ok: true;
      /** The dead owner this lock was taken over from; null when it was free. */
      previous: OwnerRecord | null;
      release(): Promise<void>;
    }
  | { ok: false; owner: OwnerRecord };

/** How many times a start retries when other starters move the record under its feet. */
const ATTEMPTS = 5;

export const processStartTime = async (pid: number): Promise<string | null> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // Fields after the command name (which may hold spaces) start at field 3.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
};

/** Is this process running (not a zombie)? EPERM means it exists under another user: running. */
export const isRunning = async (pid: number): Promise<boolean> => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

const isOwnerAlive = async (owner: OwnerRecord): Promise<boolean> => {
  if (owner.host !== hostname()) return true;
  if (!(await isRunning(owner.pid))) return false;
  const started = await processStartTime(owner.pid);
  return owner.started === null || started === null || started === owner.started;
};

const parseRecord = (text: string): OwnerRecord | null => {
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>;
    if (Number.isInteger(value.pid) && typeof value.host === 'string') {
      return { pid: value.pid as number, started: value.started ?? null, host: value.host };
    }
  } catch {
    // not a record of ours
  }
  return null;
};

/** Take the lock at `path`, or say who holds it. Taking over from a dead owner is part of taking it. */
export const acquireOwnerLock = async (path: string): Promise<OwnerLockResult> => {
  const mine: OwnerRecord = { pid: process.pid, started: await processStartTime(process.pid), host: hostname() };
  const text = `${JSON.stringify(mine)}\n`;
  const release = async (): Promise<void> => {
    // Only ever remove our own record.
    if ((await readFile(path, 'utf8').catch(() => null)) === text) await rm(path, { force: true });
  };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, text, { mode: 0o600 });
  try {
    let previous: OwnerRecord | null = null;
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      try {
        await link(temp, path);
        return { ok: true, previous, release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = await readFile(path, 'utf8').catch(() => null);
      if (seen === null) continue; // released in the meantime
      const owner = parseRecord(seen);
      if (owner !== null && (await isOwnerAlive(owner))) return { ok: false, owner };
      // A dead owner's record: move it aside, then make sure it is the one we judged (another
      // starter may have replaced it since); if not, put that one back and look again.
      const aside = `${path}.stale.${process.pid}`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if ((await readFile(aside, 'utf8').catch(() => null)) !== seen) await link(aside, path).catch(() => {});
      else previous = owner;
      await rm(aside, { force: true });
    }
    throw new AppError(
      'E_DATA_DIR',
      `${path} kept changing hands while this cluster started: another cluster is starting on this data dir; try again, or use another --data-dir.`,
    );
  } finally {
    await rm(temp, { force: true });
  }
};
