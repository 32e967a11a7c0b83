import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { LESSONS } from '../../tools/demo/run-demo.js';
import { isAlive, pathWithoutRedis, removeTempDirs } from '../helpers/cluster.js';

afterEach(removeTempDirs);

const DEMO = fileURLToPath(new URL('../../dist/tools/demo.js', import.meta.url));
const runDemo = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [DEMO, ...args], { reject: false, env, timeout: 120_000 });

describe('npm run demo', () => {
  it('lists every lesson, one line each starting with its number', async () => {
    const { exitCode, stdout } = await runDemo(['--list']);
    expect(exitCode).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(LESSONS.length);
    expect(lines[7]).toMatch(/^8\. A stalled lock holder, with and without fencing/);
    expect(lines[0]).toMatch(/^1\. One worker/);
    for (const [index, line] of lines.entries()) expect(line).toMatch(new RegExp(`^${LESSONS[index]?.number}\\. `));
  });

  it.each([
    [
      ['--lesson', '99'],
      `Expected \`--lesson\` to be an integer from 1 to ${Math.max(...LESSONS.map((lesson) => lesson.number))}, got \`99\`.`,
    ],
    [['--workers', 'many'], 'Expected `--workers` to be an integer from 2 to 16, got `many`.'],
  ])('refuses %j with exit code 2', async (args, message) => {
    const { exitCode, stderr } = await runDemo(args);
    expect(exitCode).toBe(2);
    expect(stderr.trim()).toBe(`demo: ${message}`);
  });

  it('runs lesson 4 with measured figures and leaves no process behind', async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '4', '--workers', '2']);
    expect(exitCode).toBe(0);
    const unsafe = /\/counter\/unsafe\s+read, await 5 ms, write\s+(\d+)\s+(\d+)/.exec(stdout);
    const local = /\/counter\/local\s+mutex around read-modify-write\s+(\d+)\s+(\d+)/.exec(stdout);
    expect(Number(unsafe?.[1])).toBe(500);
    expect(Number(unsafe?.[2])).toBeLessThan(500);
    expect(Number(local?.[2])).toBe(500);
    expect(stdout).toContain(`The unsafe counter lost ${500 - Number(unsafe?.[2])} of 500 increments`);
    const redisPid = Number(/redis-server \(pid (\d+)\)/.exec(stdout)?.[1]);
    expect(isAlive(redisPid)).toBe(false);
  });

  it('runs the caches lesson and says how to enable Redis when there is none', async () => {
    const path = await pathWithoutRedis();
    const { exitCode, stdout } = await runDemo(['--lesson', '6', '--workers', '2'], { PATH: path, REDIS_URL: '' });
    expect(exitCode).toBe(0);
    expect(stdout).toContain('Redis: none.');
    expect(stdout).toContain('Redis parts skipped');
    expect(stdout).toMatch(/id 1 came from database, id 11 from lru_cache/);
    expect(stdout).toMatch(/TTL: database, then ttl_cache, then after \d+ ms database/);
  });

  it('goes on without a REDIS_URL that does not answer, and says so', async () => {
    const path = await pathWithoutRedis();
    const { exitCode, stdout } = await runDemo(['--lesson', '1', '--workers', '2'], {
      PATH: path,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(stdout).toContain('REDIS_URL (redis://127.0.0.1:1) does not answer, so the demo goes on without it.');
    expect(stdout).toMatch(/final count 100\b/);
    expect(exitCode).toBe(0);
  });

  it('runs the scheduling lesson: no connection hangs on a kill under --schedule os', async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '9', '--workers', '2']);
    expect(exitCode).toBe(0);
    const row = (policy: string) =>
      new RegExp(`--schedule ${policy}\\s+[\\d,]+ / [\\d,]+\\s+[\\d.]+%\\s+[\\d,]+\\s+(\\d+)\\s+[\\d.]+\\s+\\d+`).exec(
        stdout,
      );
    expect(row('rr')).not.toBeNull();
    expect(Number(row('os')?.[1])).toBe(0);
    expect(stdout).toMatch(/os: none hung over 4 kills/);
  });

  it('skips the fleet lessons on a machine without HAProxy, saying how to install it', async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '10', '--workers', '2'], {
      PATH: await pathWithoutRedis(),
    });
    expect(exitCode).toBe(0);
    expect(stdout).toContain('apt-get install -y haproxy');
    expect(stdout).not.toMatch(/could not finish/);
  });
});
