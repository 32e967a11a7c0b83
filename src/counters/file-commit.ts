// The file counter's commit, fenced: symlink() creates a name and its content in one step and fails
// with EEXIST when the name exists, so version N+1 is written once, by one holder. A holder whose lock
// was taken over while it stalled finds its version taken and commits nothing. The lock keeps the
// holders in turn when all is well; the fence keeps the count exact when it is not. Old versions are
// collected behind a floor, which a holder that stalled even longer checks after its write.
import { readdirSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import { type Cursor, errnoOf, type FileStore, findHead, type Head, recordPath, versionOf } from './file-store.js';

/**
 * Every this many versions the committer collects the records older than this many versions, so the
 * directory holds between one and two thousand small links.
 */
export const GC_INTERVAL_VERSIONS = 1000;

/** The highest floor marker: versions below it may be gone, and one found there is garbage. */
const readFloor = (store: FileStore): number => {
  let floor = 0;
  for (const name of readdirSync(store.floorDir)) floor = Math.max(floor, versionOf(name) ?? 0);
  return floor;
};

export const unlinkQuietly = (path: string): void => {
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or the next collection removes it.
  }
};

const lockLost = (store: FileStore, version: number): AppError =>
  new AppError(
    'E_LOCK_LOST',
    `This worker stalled while it held the file counter's lock, and another process took the lock over and ` +
      `wrote version ${version} of ${store.dir} first; this worker's batch was refused and handed out no value. Try again.`,
  );

/** Commit by creating the record: EEXIST means another holder wrote this version while we stalled. */
const writeFenced = (store: FileStore, cursor: Cursor, base: Head, next: Head): void => {
  const path = recordPath(store, next.version);
  try {
    symlinkSync(String(next.value), path);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') throw lockLost(store, next.version);
    throw error;
  }
  // A name can be created again once it was collected: a holder that stalled long enough for that
  // built on a record below the floor, written before any record under it goes. Its own is garbage.
  const floor = readFloor(store);
  cursor.floor = Math.max(cursor.floor, floor);
  if (base.version < floor) {
    if (next.version < floor) unlinkQuietly(path);
    throw lockLost(store, next.version);
  }
};

/**
 * Find the head, compute the next value from it, write it as the next version. Synchronous: the
 * caller holds the lock for these few system calls only. `update` may throw (an overflow): nothing is
 * written then. Any error leaves the cursor empty, so the next commit looks again from scratch.
 */
export const commitNext = (store: FileStore, cursor: Cursor, update: (value: number) => number): Head => {
  try {
    const base = findHead(store, cursor);
    const next = { version: base.version + 1, value: update(base.value) };
    writeFenced(store, cursor, base, next);
    cursor.head = next;
    if (base.legacy === true) retireLegacy(store);
    return next;
  } catch (error) {
    cursor.head = null;
    throw error;
  }
};

/** counter.json's count lives on in the records now; keep the file, under a name nobody reads. */
const retireLegacy = (store: FileStore): void => {
  try {
    renameSync(store.legacyPath, `${store.legacyPath}.migrated`);
  } catch {
    // There was none (a fresh data dir), or another process moved it first.
  }
};

/** Record a floor: from now on a holder that built on a version below it refuses its own write. */
export const raiseFloor = (store: FileStore, floor: number): void => {
  try {
    symlinkSync(String(floor), join(store.floorDir, String(floor)));
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error;
  }
};

/**
 * After the commit of `version`, every GC_INTERVAL_VERSIONS versions: raise the floor, then remove
 * the versions (and floors) below it. The removals are asynchronous, so that a thousand unlinks do
 * not hold up this worker's requests. Best effort: a failure only leaves more links for next time.
 */
export const collectGarbage = async (store: FileStore, version: number): Promise<void> => {
  const floor = version - GC_INTERVAL_VERSIONS;
  if (version % GC_INTERVAL_VERSIONS !== 0 || floor < 1) return;
  try {
    raiseFloor(store, floor);
    for (const [dir, names] of [
      [store.dir, await readdir(store.dir)],
      [store.floorDir, await readdir(store.floorDir)],
    ] as const) {
      for (const name of names) {
        if ((versionOf(name) ?? floor) < floor) await unlink(join(dir, name)).catch(() => {});
      }
    }
  } catch {
    // Collected next time.
  }
};

/** The count now, as the primary shows it: read only, never creating anything. */
