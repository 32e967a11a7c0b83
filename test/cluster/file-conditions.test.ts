// The file counter's disk going wrong under a running cluster (issue 10, item 13): a full disk (a
// small tmpfs, out of inodes or out of space), a deleted data dir, a directory where a file belongs.
// Each is a named 503 that says what to do, logged once by the primary (not per request), with no
// temp file left behind; /cluster shows the count as unreadable (null), never as 0.
import { mkdir, mkdtemp, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { type ClusterProcess, getJson, makeTempDir, startCluster, stopAllClusters } from '../helpers/cluster.js';

type Answer = { current_count?: number; error?: string; message?: string };

const mounts: string[] = [];

/** A tmpfs of its own (root only), unmounted after the test even when it fails. */
const mountTmpfs = async (options: string): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'csl-tmpfs-'));
  mounts.push(dir);
  await execa('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return dir;
};

beforeAll(async () => {
  // The disk-full tests mount a small tmpfs: that needs root (CI runs as root; so does this lab's box).
  if (process.getuid?.() !== 0) throw new Error('These tests mount a tmpfs to fill a disk: run them as root.');
});

afterEach(async () => {
  try {
    await stopAllClusters();
  } finally {
    for (const dir of mounts.splice(0)) {
      await execa('umount', [dir]).catch(() => execa('umount', ['-l', dir]));
      await rm(dir, { recursive: true, force: true });
    }
  }
});

const counterFile = (cluster: ClusterProcess) => getJson<Answer>(`${cluster.url}/counter/file`);

/** `n` requests, one after another; every answer. */
const ask = async (cluster: ClusterProcess, n: number) => {
  const answers = [];
  for (let request = 0; request < n; request += 1) answers.push(await counterFile(cluster));
  return answers;
};

const sharedFileCount = async (cluster: ClusterProcess) =>
  (await getJson<ClusterStats>(`${cluster.url}/cluster`)).body.shared_counters.file;

const countLines = (cluster: ClusterProcess, event: string): number =>
  cluster
    .stderr()
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`)).length;

/** Every file under `dir` whose name says it is a temp file. */
const tempFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir, { recursive: true })).filter((name) => /\.tmp$|tmp\./.test(name));

/** Create empty files until the file system refuses one (ENOSPC); their names. */
const fillInodes = async (dir: string): Promise<string[]> => {
  const names: string[] = [];
  for (;;) {
    const name = join(dir, `filler-${names.length}`);
    try {
      await writeFile(name, '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return names;
      throw error;
    }
    names.push(name);
  }
};

/** Write zeros until the file system is out of space; the filler's path. */
const fillSpace = async (dir: string): Promise<string> => {
  const path = join(dir, 'filler');
  await writeFile(path, Buffer.alloc(16 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOSPC') throw error;
  });
  return path;
};

/** No stack trace in the log: what the issue saw on every request. */
const expectNoStackTrace = (cluster: ClusterProcess): void => {
  expect(cluster.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect(cluster.stderr()).not.toContain('E_INTERNAL');
};

describe('a full disk under the file counter', () => {
  it('out of inodes: a 503 E_DISK_FULL saying what to do, logged once, and it resumes once there is room', {
    timeout: 120_000,
  }, async () => {
    const dataDir = await mountTmpfs('size=4m,nr_inodes=400');
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    expect((await ask(cluster, 10)).map(({ status }) => status)).toEqual(Array(10).fill(200));

    const fillers = await fillInodes(dataDir);
    const full = await ask(cluster, 20);
    for (const { status, body } of full) {
      expect(status).toBe(503);
      expect(body.error).toBe('E_DISK_FULL');
      expect(body.message).toContain('Free some space there');
    }
    await cluster.waitForLog(/"event":"file-counter-condition"/);
    expect(countLines(cluster, 'file-counter-condition')).toBe(1);
    expect(cluster.stderr()).toMatch(/E_DISK_FULL: The disk that holds .* is full \(ENOSPC/);
    expect(await sharedFileCount(cluster)).toBe(10);

    await Promise.all(fillers.slice(0, 50).map((name) => unlink(name)));
    const after = await ask(cluster, 5);
    expect(after.map(({ body }) => body.current_count)).toEqual([11, 12, 13, 14, 15]);
    await cluster.waitForLog(/"event":"file-counter-recovered"/);
    expect(countLines(cluster, 'file-counter-recovered')).toBe(1);
    expect(countLines(cluster, 'file-counter-condition')).toBe(1);
    expect(await tempFiles(dataDir)).toEqual([]);
    expectNoStackTrace(cluster);
  });

  it('out of space with --file-fencing off (the old counter.json): a 503 E_DISK_FULL and no temp file left', {
    timeout: 120_000,
  }, async () => {
    const dataDir = await mountTmpfs('size=256k');
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir, '--file-fencing', 'off']);
    expect((await ask(cluster, 5)).map(({ status }) => status)).toEqual(Array(5).fill(200));

    const filler = await fillSpace(dataDir);
    const full = await ask(cluster, 20);
    expect(full.map(({ body }) => body.error)).toEqual(Array(20).fill('E_DISK_FULL'));
    // The issue found 0-byte temp files here: the write of each one failed after it was created.
    expect(await tempFiles(dataDir)).toEqual([]);
    await cluster.waitForLog(/"event":"file-counter-condition"/);
    expect(countLines(cluster, 'file-counter-condition')).toBe(1);

    await unlink(filler);
    expect((await counterFile(cluster)).body.current_count).toBe(6);
    expectNoStackTrace(cluster);
  });
});

describe('the file counter’s paths going wrong', () => {
  it('a deleted data dir: 503 E_DATA_DIR_GONE, not recreated behind the user’s back, /cluster says null', async () => {
    const dataDir = await makeTempDir();
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    await ask(cluster, 3);
    await rm(dataDir, { recursive: true });

    for (const { status, body } of await ask(cluster, 10)) {
      expect(status).toBe(503);
      expect(body.error).toBe('E_DATA_DIR_GONE');
      expect(body.message).toContain(dataDir);
      expect(body.message).toContain('restart the cluster');
    }
    expect(await sharedFileCount(cluster)).toBeNull();
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await cluster.waitForLog(/"event":"file-counter-condition"/);
    expect(countLines(cluster, 'file-counter-condition')).toBe(1);
    expectNoStackTrace(cluster);
  });

  it.each([
    ['counter.json is a directory', 'counter.json', 'EISDIR'],
    ['file-counter is a file', 'file-counter', 'ENOTDIR'],
  ])('%s: 503 E_STORAGE naming it, /cluster and the banner say unreadable rather than 0', async (_, name, code) => {
    const dataDir = await makeTempDir();
    if (name === 'counter.json') await mkdir(join(dataDir, name));
    else await writeFile(join(dataDir, name), 'in the way\n');
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    expect(cluster.stdout()).toContain('(file counter: unreadable, see /counter/file)');

    for (const { status, body } of await ask(cluster, 10)) {
      expect(status).toBe(503);
      expect(body.error).toBe('E_STORAGE');
      expect(body.message).toContain(`${join(dataDir, name)} (${code})`);
    }
    expect(await sharedFileCount(cluster)).toBeNull();
    await cluster.waitForLog(/"event":"file-counter-condition"/);
    expect(countLines(cluster, 'file-counter-condition')).toBe(1);
    expectNoStackTrace(cluster);
  });
});

describe('the file counter at 2^53 - 1', () => {
  it('answers 409 E_COUNTER_OVERFLOW instead of writing a count it could not read back', async () => {
    const dataDir = await makeTempDir();
    await writeFile(join(dataDir, 'counter.json'), '{"value": 9007199254740990}\n');
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir]);
    expect((await counterFile(cluster)).body.current_count).toBe(Number.MAX_SAFE_INTEGER);
    for (const { status, body } of await ask(cluster, 4)) {
      expect(status).toBe(409);
      expect(body.error).toBe('E_COUNTER_OVERFLOW');
      expect(body.message).toContain('POST /admin/reset?shared=1');
    }
    expect(await sharedFileCount(cluster)).toBe(Number.MAX_SAFE_INTEGER);
    expectNoStackTrace(cluster);
  });
});
