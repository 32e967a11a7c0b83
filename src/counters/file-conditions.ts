// What can go wrong with the file counter's disk, as named errors that say what to do (all 503: the
// request may succeed once the condition is gone), and one log line per condition for the whole
// cluster: each worker tells the primary when its condition changes, the primary logs the changes.
import { statSync } from 'node:fs';
import { AppError, isAppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { FileStore } from './file-store.js';

declare module '../ipc/protocol.js' {
  interface WorkerRequests {
    /** A worker's file counter met a condition (`error`), got past it (`ok`), or lost its lock (`lock-lost`). */
    'file-counter-condition': {
      request: { worker: number; kind: 'error' | 'ok' | 'lock-lost'; key: string; message: string };
      reply: null;
    };
  }
}

export type ConditionNotice = { kind: 'error' | 'ok' | 'lock-lost'; key: string; message: string };

const ADVICE: Record<string, string> = {
  EISDIR: 'it is a directory where the counter keeps a file; move it away',
  ENOTDIR: 'something in its path is a file where the counter keeps a directory; move it away',
  EACCES: 'permission denied; give the user running the lab write access to it',
  EPERM: 'operation not permitted; give the user running the lab write access to it',
  EROFS: 'the file system is read-only; remount it read-write or pick another --data-dir',
  EIO: 'the disk reports an I/O error; check the disk',
  EMFILE: 'this process has too many open files; raise the limit (ulimit -n)',
  ENFILE: 'the system has too many open files; close some',
  ENOENT: 'it disappeared while the counter used it; try again',
};

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** A file system error met by the file counter, as a named error; AppErrors and bugs pass as they are. */
export const asStorageError = (error: unknown, store: FileStore): unknown => {
  if (isAppError(error)) return error;
  const { code, path = store.dir } = (error ?? {}) as NodeJS.ErrnoException;
  if (code === undefined) return error;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError(
      'E_DISK_FULL',
      `The disk that holds ${store.dir} is full (${code}: no free space or no free inodes); the file counter ` +
        'cannot write its next value. Free some space there; the counter resumes by itself.',
      { cause: error },
    );
  }
  if (!isDirectory(store.dataDir)) {
    return new AppError(
      'E_DATA_DIR_GONE',
      `The data dir ${store.dataDir} is gone (or is no longer a directory); the file counter kept its count there. ` +
        'Restore it, or restart the cluster to start the count over in a new one (see --data-dir).',
      { cause: error },
    );
  }
  return new AppError(
    'E_STORAGE',
    `The file counter cannot use ${path} (${code}): ${ADVICE[code] ?? (error as Error).message}.`,
    { cause: error },
  );
};

/** Which errors are conditions of the disk or the lock to log (once), keyed so that a change logs again. */
export const conditionKey = (error: unknown): string | null => {
  if (!isAppError(error)) return null;
  switch (error.code) {
    case 'E_LOCK_TIMEOUT':
    case 'E_COUNTER_OVERFLOW':
      return error.code;
    case 'E_DISK_FULL':
    case 'E_DATA_DIR_GONE':
    case 'E_STORAGE':
    case 'E_CORRUPT_STATE':
      return `${error.code} ${error.message}`;
    default:
      return null;
  }
};

/**
 * A worker's side: send a notice only when its condition changes (not per request), and every lost
 * lock (each is a stall of its own). `send` never throws.
 */
export const createConditionReporter = (send: (notice: ConditionNotice) => void) => {
  let current: string | null = null;
  return {
    failed(error: unknown): void {
      if (isAppError(error) && error.code === 'E_LOCK_LOST') {
        send({ kind: 'lock-lost', key: error.code, message: error.message });
        return;
      }
      const key = conditionKey(error);
      if (key === null || key === current) return;
      current = key;
      send({ kind: 'error', key, message: `${(error as AppError).code}: ${(error as AppError).message}` });
    },
    succeeded(): void {
      if (current === null) return;
      send({ kind: 'ok', key: current, message: '' });
      current = null;
    },
  };
};

/** The primary's side: one line when the cluster's condition changes, whichever worker met it first. */
export const createConditionLog = (log: Logger) => {
  let current: string | null = null;
  return ({ worker, kind, key, message }: ConditionNotice & { worker: number }): null => {
    if (kind === 'lock-lost') {
      log.warn(`file counter: worker ${worker}: ${message}`, { event: 'file-counter-lock-lost', worker });
    } else if (kind === 'error' && key !== current) {
      current = key;
      log.warn(`file counter: ${message}`, { event: 'file-counter-condition', worker });
    } else if (kind === 'ok' && current !== null) {
      current = null;
      log.info(`file counter: works again (worker ${worker} committed)`, { event: 'file-counter-recovered', worker });
    }
    return null;
  };
};
