// `--file-fencing off`: the file counter as the lab shipped it before, kept to show what a lease alone
// lets through (lesson 8). Under the lock: read counter.json, write a temp file, rename it over. A
// holder that stalls before its rename past the lock's 2 s lease writes an old count over a newer one,
// and every worker counts those numbers again. Nothing checks that the write is still current.
import { renameSync, writeFileSync } from 'node:fs';
import { unlinkQuietly } from './file-commit.js';
import { createCursor, type FileStore, findHead, type Head, readLegacy } from './file-store.js';

/**
 * Replace counter.json with `update(count)`. Without counter.json (a fenced run left records) the
 * count starts from the records' head. A temp file that could not be renamed is removed.
 */
export const commitUnfenced = (store: FileStore, update: (value: number) => number): Head => {
  const value = update(readLegacy(store) ?? findHead(store, createCursor(), false).value);
  const temp = `${store.legacyPath}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify({ value })}\n`);
    renameSync(temp, store.legacyPath);
  } catch (error) {
    unlinkQuietly(temp);
    throw error;
  }
  return { version: 0, value, legacy: true };
};
