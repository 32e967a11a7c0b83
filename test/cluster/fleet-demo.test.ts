// Lesson 10 of the demo: the scope ladder through a real HAProxy, with figures measured in the run.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../dist/tools/demo.js', import.meta.url));

describe('npm run demo -- --lesson 10', () => {
  it('measures the ladder: local split 4 ways, ipc and file exact per host but split, redis exact; sticky clients never go back', async () => {
    const { exitCode, stdout } = await execa('node', [DEMO, '--lesson', '10'], { reject: false, timeout: 120_000 });
    expect(exitCode, stdout).toBe(0);
    const row = (route: string) =>
      new RegExp(
        `${route}\\s+(\\w+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+([\\d,]+)\\s+(?:([\\d,]+) / ([\\d,]+)|—)\\s+(.+)$`,
        'm',
      ).exec(stdout);
    const number = (text: string | undefined) => Number((text ?? '').replaceAll(',', ''));
    for (const strategy of ['ipc', 'file']) {
      const match = row(`/counter/${strategy}`);
      expect(match?.[1]).toBe('host');
      expect(number(match?.[2])).toBe(400);
      expect(number(match?.[3])).toBeLessThan(400);
      expect(number(match?.[4])).toBe(400);
      expect(number(match?.[5]) + number(match?.[6])).toBe(400);
      expect(match?.[7]).toBe('split');
    }
    const local = row('/counter/local');
    expect(local?.[7]).toBe('split');
    expect(stdout).toMatch(/local: 400 answers from 4 workers on 2 hosts/);
    const redis = row('/counter/redis');
    expect(redis?.slice(1, 5)).toEqual(['fleet', '400', '400', '400']);
    expect(redis?.[7]).toBe('exact');
    expect(stdout).toMatch(
      /the Map cache in each worker paid 4 database call\(s\) \(4 workers served it\); \/user\/redis\/7 paid 1 for the whole fleet/,
    );
    expect(stdout).toMatch(/With the cookie each client stayed on one host and its counter only went up/);
    expect(stdout).toContain('every process the demo started is stopped');
  });
});
