// Lessons 11-14 (the fixes) run end to end on clusters of their own, with measured figures, and
// leave nothing behind. Timing is what lesson 13 is about: its check has a wide margin (a 1 s block
// against 0.8 s), the rest checks outcomes.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, pathWithoutRedis, removeTempDirs } from '../helpers/cluster.js';

afterEach(removeTempDirs);

const DEMO = fileURLToPath(new URL('../../dist/tools/demo.js', import.meta.url));
const runDemo = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [DEMO, ...args], { reject: false, env, timeout: 120_000 });

const redisStopped = (stdout: string): boolean => {
  const pid = Number(/redis-server \(pid (\d+)\)/.exec(stdout)?.[1]);
  return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
};

describe('the lessons on fixes', () => {
  it('lesson 12: INCR, WATCH and Lua lose nothing, GET-await-SET does; WATCH counts its aborts', async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '12', '--workers', '2']);
    expect(exitCode).toBe(0);
    const row = (route: string) =>
      new RegExp(`${route}\\s+.+?\\s+([\\d,]+)\\s+([\\d,]+)\\s+([\\d,-]+)\\s+([\\d,]+)`).exec(stdout);
    const lost = (route: string) => Number(row(route)?.[2]?.replaceAll(',', ''));
    expect(lost('/counter/redis-unsafe')).toBeGreaterThan(0);
    expect(lost('/counter/redis ')).toBe(0);
    expect(lost('/counter/redis-watch')).toBe(0);
    expect(lost('/counter/redis-lua')).toBe(0);
    expect(stdout).toMatch(/WATCH paid for its exactness in aborts: [\d,]+ transactions/);
    expect(redisStopped(stdout)).toBe(true);
  });

  it("lesson 13: the blocked worker's other connection waits about a second, the awaited one does not", async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '13', '--workers', '2']);
    expect(exitCode).toBe(0);
    const slowest = Number(/the slowest after ([\d,]+) ms/.exec(stdout)?.[1]?.replaceAll(',', ''));
    expect(slowest).toBeGreaterThanOrEqual(800);
    expect(stdout).toMatch(/Awaited, the same 1000 ms call left its worker serving: [\d,]+ answers/);
  });

  it('lesson 14: workers are recycled with no failed request, and the lost state is counted', async () => {
    const { exitCode, stdout } = await runDemo(['--lesson', '14', '--workers', '2']);
    expect(exitCode).toBe(0);
    const recycled = Number(/^(\d+) workers were recycled/m.exec(stdout)?.[1]);
    expect(recycled).toBeGreaterThan(0);
    expect(stdout).toMatch(/and 0 requests failed/);
    expect(stdout).toMatch(/no recycling\s+2\s+0\s+300 of 300/);
  });

  it('lesson 11 says how to enable Redis when there is none', async () => {
    const path = await pathWithoutRedis();
    const { exitCode, stdout } = await runDemo(['--lesson', '11', '--workers', '2'], { PATH: path, REDIS_URL: '' });
    expect(exitCode).toBe(0);
    expect(stdout).toContain('This lesson needs Redis.');
    expect(stdout).toMatch(/REDIS_URL=redis:\/\/host:port or install redis-server/);
  });
});
