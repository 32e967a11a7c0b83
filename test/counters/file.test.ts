import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileCounter, readFileCounter } from '../../src/counters/file.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csl-file-'));
  path = join(dir, 'counter.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file counter', () => {
  it('starts from 0 when the file does not exist and writes {"value": n}', async () => {
    const counter = createFileCounter({ path });
    expect(await counter.increment()).toBe(1);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ value: 1 });
  });

  it('is exact when two counters (two processes’ worth) share the file under 200 concurrent calls', async () => {
    const a = createFileCounter({ path });
    const b = createFileCounter({ path });
    const values = await Promise.all(Array.from({ length: 200 }, (_, index) => (index % 2 ? a : b).increment()));
    expect(new Set(values).size).toBe(200);
    expect(await readFileCounter(path)).toBe(200);
  });

  it('refuses a corrupt file with an error naming it, and leaves it as it was', async () => {
    await writeFile(path, '{"value": oops');
    const counter = createFileCounter({ path });
    await expect(counter.increment()).rejects.toMatchObject({
      code: 'E_CORRUPT_STATE',
      message: expect.stringContaining(path),
    });
    expect(await readFile(path, 'utf8')).toBe('{"value": oops');
  });

  it.each([['{"value": -3}'], ['{"count": 3}'], ['[]'], ['']])('treats %j as corrupt, not as 0', async (text) => {
    await writeFile(path, text);
    await expect(readFileCounter(path)).rejects.toMatchObject({ code: 'E_CORRUPT_STATE' });
  });

  it('takes over a stale lock directory', async () => {
    await writeFile(path, '{"value": 41}\n');
    const lockDir = `${path}.lock`;
    await mkdir(lockDir);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(lockDir, longAgo, longAgo);
    expect(await createFileCounter({ path }).increment()).toBe(42);
  });
});
