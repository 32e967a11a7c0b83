// The file counter's storage: one immutable record per commit, a symbolic link
// `<data dir>/file-counter/<version>` whose target is the count (`ls -l` reads `1041 -> 52017`). The
// current count is the highest version, the head; this file reads records and finds the head, and
// file-commit.ts writes the next version, fenced.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.js';

export const FILE_COUNTER_DIR = 'file-counter';
/** The file the counter kept before records (`{"value": n}`): its count is taken over once. */
export const LEGACY_COUNTER_FILE = 'counter.json';
const FLOOR_DIR = 'floor';

export interface FileStore {
  dataDir: string;
  /** `<data dir>/file-counter`: the records, and `floor/`. */
  dir: string;
  floorDir: string;
  /** `<data dir>/counter.json`: the count from before records, or one written with `--file-fencing off`. */
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

export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

export const recordPath = (store: FileStore, version: number): string => join(store.dir, String(version));

export const versionOf = (name: string): number | null => (/^[1-9]\d{0,15}$/.test(name) ? Number(name) : null);

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
export const peekCount = (store: FileStore, cursor: Cursor): number => {
  // counter.json first: with --file-fencing off it is the count, and the records are left behind.
  const legacy = readLegacy(store);
  if (legacy !== null) return legacy;
  const head = findHead(store, cursor, false);
  if (head.version > 0) cursor.head = head;
  return head.value;
};
