// The file counter's storage, built so that a write from a lock holder that stalled can be refused.
// Every commit adds one immutable record: a symbolic link `<data dir>/file-counter/<version>` whose
// target is the value (`ls -l` reads `1041 -> 52017`). symlink() creates a name and its content in one
// step and fails with EEXIST when the name exists, so version N+1 is written once, by one holder; a
// holder whose lock was taken over while it stalled finds its version taken and commits nothing.
// That is the fence: the lock keeps the holders in turn when all is well, the fence keeps the count
// exact when it is not. The head is the highest version; old records are collected behind a floor.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.js';

export const FILE_COUNTER_DIR = 'file-counter';
/** The file the counter kept before records (`{"value": n}`): its count is taken over once. */
export const LEGACY_COUNTER_FILE = 'counter.json';
const FLOOR_DIR = 'floor';
/**
 * Every this many versions the committer collects the records older than this many versions, so the
 * directory holds between one and two thousand small links.
 */
export const GC_INTERVAL_VERSIONS = 1000;

export interface FileStore {
  dataDir: string;
  /** `<data dir>/file-counter`: the records, and `floor/`. */
  dir: string;
  floorDir: string;
  /** `<data dir>/counter.json`, read once when there is no record yet. */
  legacyPath: string;
  /** false (`--file-fencing off`): counter.json replaced under the lock alone, as the lab did before (file-unfenced.ts). */
  fencing: boolean;
}

export const openFileStore = ({ dataDir, fencing = true }: { dataDir: string; fencing?: boolean }): FileStore => {
  const dir = join(dataDir, FILE_COUNTER_DIR);
  return { dataDir, dir, floorDir: join(dir, FLOOR_DIR), legacyPath: join(dataDir, LEGACY_COUNTER_FILE), fencing };
};

/** A committed value and the version that holds it (0: no record yet). */
export interface Head {
  version: number;
  value: number;
  /** The value came from counter.json (see scanHead); the commit retires that file. */
  legacy?: boolean;
}

/** What one process remembers between commits, so that it finds the head in a few probes. */
export interface Cursor {
  head: Head | null;
  /** The highest floor it has seen: records below it are garbage. */
  floor: number;
}

export const createCursor = (): Cursor => ({ head: null, floor: 0 });

const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

const recordPath = (store: FileStore, version: number): string => join(store.dir, String(version));

const versionOf = (name: string): number | null => (/^[1-9]\d{0,15}$/.test(name) ? Number(name) : null);

const corrupt = (path: string, detail: string): AppError =>
  new AppError(
    'E_CORRUPT_STATE',
    `The file counter's ${path} is not valid (${detail}); it was left as it is: fix or delete it.`,
  );

const parseCount = (path: string, text: string, expected: string): number => {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value))
    throw corrupt(path, `expected ${expected}, got ${JSON.stringify(text.slice(0, 40))}`);
  return value;
};

/** A record's value; null when there is no such version (not yet written, or collected). */
export const readRecord = (store: FileStore, version: number): number | null => {
  const path = recordPath(store, version);
  let target: string;
  try {
    target = readlinkSync(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    if (errnoOf(error) === 'EINVAL') throw corrupt(path, 'not a symbolic link to a count');
    throw error;
  }
  return parseCount(path, target, 'a symbolic link to a count from 0 to 2^53 - 1');
};

/** The count in counter.json (`{"value": n}`); null without one. */
export const readLegacy = (store: FileStore): number | null => {
  let text: string;
  try {
    text = readFileSync(store.legacyPath, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    // A read() error (EISDIR) names no path; the message should.
    throw Object.assign(error as NodeJS.ErrnoException, { path: store.legacyPath });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw corrupt(store.legacyPath, 'not JSON');
  }
  const value = (parsed as { value?: unknown } | null)?.value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw corrupt(store.legacyPath, 'expected {"value": <integer from 0 to 2^53 - 1>}');
  }
  return value;
};

const isDirectory = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

/**
 * Read every name to find the head (the highest version). A counter.json, when there is one, holds
 * the current count: the one from before records existed, or one written since with
 * `--file-fencing off` (which keeps that file, as the lab did before); the next commit carries it on
 * as the next version and retires the file. `create`: make the directory when it is missing (a first
 * commit); never the data dir itself, whose absence is a condition to report.
 */
const scanHead = (store: FileStore, create: boolean): Head => {
  // A record read by name can be collected between the listing and the read: then list again.
  for (let attempt = 0; ; attempt += 1) {
    let names: string[];
    try {
      names = readdirSync(store.dir);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      if (create) {
        mkdirSync(store.dir);
        mkdirSync(store.floorDir);
      } else if (!isDirectory(store.dataDir)) {
        throw error;
      }
      names = [];
    }
    let top = 0;
    for (const name of names) top = Math.max(top, versionOf(name) ?? 0);
    const legacy = readLegacy(store);
    if (legacy !== null) return { version: top, value: legacy, legacy: true };
    if (top === 0) return { version: 0, value: 0 };
    const value = readRecord(store, top);
    if (value !== null) return { version: top, value };
    if (attempt >= 3) throw corrupt(recordPath(store, top), 'listed, then gone, again and again');
  }
};

/** From a known record, double the step until a version is missing, then halve the gap: the head. */
const gallop = (store: FileStore, from: Head): Head => {
  let low = from;
  let high = 0;
  for (let step = 1; high === 0; step *= 2) {
    const value = readRecord(store, low.version + step);
    if (value === null) high = low.version + step;
    else low = { version: low.version + step, value };
  }
  while (high - low.version > 1) {
    const middle = Math.floor((low.version + high) / 2);
    const value = readRecord(store, middle);
    if (value === null) high = middle;
    else low = { version: middle, value };
  }
  return low;
};

/**
 * The head, found from this process's cursor in two reads when nobody else committed, in a few more
 * when others did, by listing the directory when the cursor is no help. Never trusted on its own: a
 * fenced commit checks afterwards that what it built on was not garbage (see commitNext).
 */
export const findHead = (store: FileStore, cursor: Cursor, create = true): Head => {
  const known = cursor.head;
  if (known === null || known.version === 0 || known.version < cursor.floor) return scanHead(store, create);
  const next = readRecord(store, known.version + 1);
  if (next !== null) return gallop(store, { version: known.version + 1, value: next });
  // Nobody committed since this process did, if its own record is still there (not collected, not reset).
  const value = readRecord(store, known.version);
  return value === null ? scanHead(store, create) : { version: known.version, value };
};

/** The highest floor marker: records below it may be gone, and one found there is garbage. */
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

/**
 * After the commit of `version`, every GC_INTERVAL_VERSIONS versions: raise the floor, then remove
 * the records (and markers) below it. Best effort: a failure only leaves more links behind, for the
 * next collection.
 */
export const collectGarbage = (store: FileStore, version: number): void => {
  const floor = version - GC_INTERVAL_VERSIONS;
  if (version % GC_INTERVAL_VERSIONS !== 0 || floor < 1) return;
  try {
    // The marker first: from here on a holder that built on a record below it refuses its own write.
    try {
      symlinkSync(String(floor), join(store.floorDir, String(floor)));
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    for (const name of readdirSync(store.dir)) {
      if ((versionOf(name) ?? floor) < floor) unlinkQuietly(join(store.dir, name));
    }
    for (const name of readdirSync(store.floorDir)) {
      if ((versionOf(name) ?? floor) < floor) unlinkQuietly(join(store.floorDir, name));
    }
  } catch {
    // Collected next time.
  }
};

/** The count now, as the primary shows it: read only, never creating anything. */
export const peekCount = (store: FileStore, cursor: Cursor): number => {
  // counter.json first: with --file-fencing off it is the count, and the records are left behind.
  const legacy = readLegacy(store);
  if (legacy !== null) return legacy;
  const head = findHead(store, cursor, false);
  if (head.version > 0) cursor.head = head;
  return head.value;
};
