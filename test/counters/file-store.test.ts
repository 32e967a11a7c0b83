// The fence of the file counter's store, one step at a time: a holder "stalls" inside its commit
// (its update callback runs other holders' commits), exactly where a real stall would leave it.
import { unlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateFileCounter } from '../../src/counters/file.js';
import { collectGarbage, commitNext, GC_INTERVAL_VERSIONS, raiseFloor } from '../../src/counters/file-commit.js';
import { createCursor, openFileStore } from '../../src/counters/file-store.js';
import { commitUnfenced } from '../../src/counters/file-unfenced.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'csl-file-store-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the file store', () => {
  it('refuses the write of a holder whose version another holder wrote while it stalled (E_LOCK_LOST)', () => {
    const store = openFileStore({ dataDir });
    const [stalled, other] = [createCursor(), createCursor()];
    commitNext(store, stalled, (value) => value + 5);
    let otherValue = 0;
    expect(() =>
      commitNext(store, stalled, (value) => {
        // While "stalled" holds its base (5), another holder commits on the same base.
        otherValue = commitNext(store, other, (base) => base + 3).value;
        return value + 2;
      }),
    ).toThrow(expect.objectContaining({ code: 'E_LOCK_LOST' }));
    expect(otherValue).toBe(8);
    // The stalled holder's batch (6, 7) was never written; the next commit builds on 8.
    expect(commitNext(store, stalled, (value) => value + 1)).toEqual({ version: 3, value: 9 });
  });

  it('without the fence (--file-fencing off, the lab before), the late write puts an old count back', async () => {
    const store = openFileStore({ dataDir, fencing: false });
    commitUnfenced(store, (value) => value + 5);
    let otherValue = 0;
    const late = commitUnfenced(store, (value) => {
      otherValue = commitUnfenced(store, (base) => base + 3).value;
      return value + 2;
    });
    // Both answered from 5: 6, 7, 8 and 6, 7; counter.json now says 7, and 8 comes again next.
    expect([otherValue, late.value]).toEqual([8, 7]);
    expect(JSON.parse(await readFile(join(dataDir, 'counter.json'), 'utf8'))).toEqual({ value: 7 });
    expect(commitUnfenced(store, (value) => value + 1).value).toBe(8);
  });

  it('keeps the count when a data dir goes from fenced to --file-fencing off and back', async () => {
    const fenced = openFileStore({ dataDir });
    const unfenced = openFileStore({ dataDir, fencing: false });
    for (let commit = 0; commit < 3; commit += 1) await updateFileCounter(fenced, createCursor(), (value) => value + 1);
    expect((await updateFileCounter(unfenced, createCursor(), (value) => value + 1)).value).toBe(4);
    expect((await updateFileCounter(unfenced, createCursor(), (value) => value + 1)).value).toBe(5);
    expect((await updateFileCounter(fenced, createCursor(), (value) => value + 1)).value).toBe(6);
    expect(await readdir(dataDir)).not.toContain('counter.json');
    expect(await readlink(join(dataDir, 'file-counter', '4'))).toBe('6');
  });

  it(`collects old versions every ${GC_INTERVAL_VERSIONS}, and the count goes on exactly`, async () => {
    const store = openFileStore({ dataDir });
    const cursor = createCursor();
    const total = GC_INTERVAL_VERSIONS * 3 + 7;
    for (let commit = 0; commit < total; commit += 1) {
      await collectGarbage(store, commitNext(store, cursor, (value) => value + 2).version);
    }
    const names = await readdir(join(dataDir, 'file-counter'));
    const versions = names.filter((name) => /^\d+$/.test(name)).map(Number);
    expect(Math.max(...versions)).toBe(total);
    expect(Math.min(...versions)).toBe(GC_INTERVAL_VERSIONS * 2);
    expect(await readdir(join(dataDir, 'file-counter', 'floor'))).toEqual([String(GC_INTERVAL_VERSIONS * 2)]);
    // A fresh process (no cursor) finds the head by listing.
    expect(commitNext(store, createCursor(), (value) => value + 1).value).toBe(total * 2 + 1);
  });

  it('refuses the write of a holder that stalled until its version was collected, and removes it', async () => {
    const store = openFileStore({ dataDir });
    const [stalled, others] = [createCursor(), createCursor()];
    commitNext(store, stalled, (value) => value + 1);
    expect(() =>
      commitNext(store, stalled, (value) => {
        // Meanwhile the others commit long enough for version 2 to be written and collected again:
        // a collector raises the floor first, then removes what is below it.
        for (let commit = 0; commit < GC_INTERVAL_VERSIONS * 2; commit += 1)
          commitNext(store, others, (base) => base + 1);
        raiseFloor(store, GC_INTERVAL_VERSIONS);
        for (let version = 1; version < GC_INTERVAL_VERSIONS; version += 1) {
          unlinkSync(join(dataDir, 'file-counter', String(version)));
        }
        return value + 1;
      }),
    ).toThrow(expect.objectContaining({ code: 'E_LOCK_LOST' }));
    // Its version 2 could be created again (the name was free), but it was below the floor: removed.
    expect(await readdir(join(dataDir, 'file-counter'))).not.toContain('2');
    expect(commitNext(store, createCursor(), (value) => value + 1).value).toBe(GC_INTERVAL_VERSIONS * 2 + 2);
  });
});
