import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { createFileCounter, fileStrategy, openFileStore } from '../../src/counters/file.js';
import type { FileStore } from '../../src/counters/file-store.js';
import type { SharedStorage } from '../../src/counters/strategy.js';

let dataDir: string;
let store: FileStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'csl-file-'));
  store = openFileStore({ dataDir });
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The primary's view of the counter (what /cluster and the banner show). */
const primaryStorage = (): SharedStorage => {
  const storage = fileStrategy.createStorage?.({
    config: { ...defaultConfig(), dataDir },
    redis: null,
    handle: () => {},
  });
  if (storage === undefined) throw new Error('the file strategy has a storage');
  return storage;
};

describe('file counter', () => {
  it('starts from 0 in a fresh data dir and writes each version as a link to its value', async () => {
    const counter = createFileCounter({ store });
    expect(await counter.increment()).toBe(1);
    expect(await counter.increment()).toBe(2);
    expect(await readlink(join(dataDir, 'file-counter', '2'))).toBe('2');
    expect(await primaryStorage().read()).toBe(2);
  });

  it('is exact when two counters (two processes’ worth) share the data dir under 200 concurrent calls', async () => {
    const a = createFileCounter({ store });
    const b = createFileCounter({ store });
    const values = await Promise.all(Array.from({ length: 200 }, (_, index) => (index % 2 ? a : b).increment()));
    expect(new Set(values).size).toBe(200);
    expect(Math.max(...values)).toBe(200);
    expect(await primaryStorage().read()).toBe(200);
  });

  it('takes over the count of an existing counter.json once, and keeps that file as counter.json.migrated', async () => {
    await writeFile(join(dataDir, 'counter.json'), '{"value": 41}\n');
    expect(await primaryStorage().read()).toBe(41);
    expect(await createFileCounter({ store }).increment()).toBe(42);
    expect(await createFileCounter({ store }).increment()).toBe(43);
    expect(await readdir(dataDir)).toEqual(expect.arrayContaining(['counter.json.migrated', 'file-counter']));
    expect(await readdir(dataDir)).not.toContain('counter.json');
  });

  it('refuses a corrupt counter.json with an error naming it, and leaves it as it was', async () => {
    await writeFile(join(dataDir, 'counter.json'), '{"value": oops');
    await expect(createFileCounter({ store }).increment()).rejects.toMatchObject({
      code: 'E_CORRUPT_STATE',
      message: expect.stringContaining(join(dataDir, 'counter.json')),
    });
    expect(await readFile(join(dataDir, 'counter.json'), 'utf8')).toBe('{"value": oops');
  });

  it.each([['{"value": -3}'], ['{"count": 3}'], ['[]'], [''], ['{"value": 9007199254740992}']])(
    'treats a counter.json of %j as corrupt, not as 0',
    async (text) => {
      await writeFile(join(dataDir, 'counter.json'), text);
      await expect(createFileCounter({ store }).increment()).rejects.toMatchObject({ code: 'E_CORRUPT_STATE' });
      expect(await primaryStorage().read()).toBeNull();
    },
  );

  it('refuses a record that is not a link to a count, naming it', async () => {
    await createFileCounter({ store }).increment();
    await symlink('12abc', join(dataDir, 'file-counter', '2'));
    await expect(createFileCounter({ store }).increment()).rejects.toMatchObject({
      code: 'E_CORRUPT_STATE',
      message: expect.stringContaining(join(dataDir, 'file-counter', '2')),
    });
  });

  it('takes over a stale lock directory', async () => {
    await writeFile(join(dataDir, 'counter.json'), '{"value": 41}\n');
    const lockDir = join(dataDir, 'file-counter.lock');
    await mkdir(lockDir);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lockDir, longAgo, longAgo);
    expect(await createFileCounter({ store }).increment()).toBe(42);
  });

  it('counts up to 2^53 - 1 and refuses to go past it with E_COUNTER_OVERFLOW, still readable', async () => {
    await writeFile(join(dataDir, 'counter.json'), '{"value": 9007199254740990}\n');
    const counter = createFileCounter({ store });
    expect(await counter.increment()).toBe(9_007_199_254_740_991);
    await expect(counter.increment()).rejects.toMatchObject({
      code: 'E_COUNTER_OVERFLOW',
      message: expect.stringContaining('9007199254740991'),
    });
    expect(await primaryStorage().read()).toBe(9_007_199_254_740_991);
    await primaryStorage().reset();
    expect(await counter.increment()).toBe(1);
  });
});

describe('file counter conditions', () => {
  it('names a deleted data dir (503 E_DATA_DIR_GONE), does not recreate it, and reads as null', async () => {
    const counter = createFileCounter({ store });
    await counter.increment();
    await rm(dataDir, { recursive: true });
    await expect(counter.increment()).rejects.toMatchObject({
      code: 'E_DATA_DIR_GONE',
      message: expect.stringContaining(dataDir),
    });
    await expect(readdir(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await primaryStorage().read()).toBeNull();
  });

  it('names a counter.json that is a directory (E_STORAGE, EISDIR), and reads as null rather than 0', async () => {
    await mkdir(join(dataDir, 'counter.json'));
    await expect(createFileCounter({ store }).increment()).rejects.toMatchObject({
      code: 'E_STORAGE',
      message: expect.stringMatching(/counter\.json \(EISDIR\): it is a directory/),
    });
    expect(await primaryStorage().read()).toBeNull();
  });

  it('names a file where the counter keeps its directory (E_STORAGE, ENOTDIR), and reads as null', async () => {
    await writeFile(join(dataDir, 'file-counter'), 'not a directory');
    await expect(createFileCounter({ store }).increment()).rejects.toMatchObject({
      code: 'E_STORAGE',
      message: expect.stringContaining('ENOTDIR'),
    });
    expect(await primaryStorage().read()).toBeNull();
  });

  it('tells its reporter once per condition, and once when it works again', async () => {
    const notices: string[] = [];
    const counter = createFileCounter({ store, report: ({ kind, key }) => notices.push(`${kind} ${key.slice(0, 9)}`) });
    await mkdir(join(dataDir, 'counter.json'));
    for (let request = 0; request < 5; request += 1) await expect(counter.increment()).rejects.toThrow();
    await rm(join(dataDir, 'counter.json'), { recursive: true });
    expect(await counter.increment()).toBe(1);
    expect(await counter.increment()).toBe(2);
    expect(notices).toEqual(['error E_STORAGE', 'ok E_STORAGE']);
  });
});
