// The hammer pointed at a fleet judges the run from every host (its /fleet), not from whichever host
// the balancer sent its /cluster request to.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { CounterVerdict } from '../../src/verdict.js';
import { removeTempDirs } from '../helpers/cluster.js';
import { startTestFleet, stopAllFleets } from '../helpers/fleet.js';

const HAMMER = fileURLToPath(new URL('../../dist/tools/hammer.js', import.meta.url));

afterEach(async () => {
  await stopAllFleets();
  await removeTempDirs();
});

describe('the hammer against a fleet', () => {
  it('reads every host: the file counter is split across hosts, and their shares add up to the run', async () => {
    const fleet = await startTestFleet(['--hosts', '2', '--workers', '1']);
    const { exitCode, stdout } = await execa(
      'node',
      [HAMMER, `${fleet.ready.url}/counter/file`, '-n', '200', '-c', '10', '--json'],
      {
        reject: false,
        timeout: 120_000,
      },
    );
    expect(exitCode).toBe(0);
    const report = JSON.parse(stdout) as { ok: number; counter_verdict?: CounterVerdict };
    const verdict = report.counter_verdict;
    expect(report.ok).toBe(200);
    expect(verdict?.expected).toBe(200);
    expect(verdict?.true_total).toBe(200);
    expect(verdict?.lost).toBe(0);
    // Two stores (one disk per host), each with its share: no host knows the total.
    expect(verdict?.shares.map((share) => share.instance).sort()).toEqual(['host-1', 'host-2']);
    expect(verdict?.shares.reduce((total, share) => total + share.count, 0)).toBe(200);
    expect(verdict?.kind).toBe('split');
    expect(verdict?.largest_seen).toBeLessThan(200);
  });
});
