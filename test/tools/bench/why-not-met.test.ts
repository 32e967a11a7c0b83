import { describe, expect, it } from 'vitest';
import type { BenchResult, TargetResult } from '../../../tools/bench/result.js';
import { whyNotMet } from '../../../tools/bench/why-not-met.js';

const target = (id: string, met: boolean | null): TargetResult => ({
  id,
  target: `target ${id}`,
  measured: met === null ? null : 1,
  detail: '',
  met,
});

// Only what the reasons read: the cores, and one worker's start in the scaling steps.
const result = {
  machine: { cpus: 2 },
  routes: [],
  scaling: [{ workers: 1, ready_ms: 885.4, worker_rss_mb: {}, routes: [] }],
} as unknown as BenchResult;

describe('the reasons under the Targets table', () => {
  it('gives one for each target missed, none for those met or not measured', () => {
    const lines = whyNotMet(result, [
      target('file-4-vs-2', false),
      target('local-cpu-vs-hono', true),
      target('rss-after-load', null),
      target('ready-4-workers', false),
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^- target file-4-vs-2: One lock file serialises every commit/);
    // Read from the run: its cores and the 1-worker step's start.
    expect(lines[1]).toContain('start on 2 cores');
    expect(lines[1]).toContain('one worker alone was ready in 885 ms in this run');
  });

  it('tells a reason once: a second target with the same one points to the first', () => {
    const lines = whyNotMet(result, [target('local-cpu-vs-hono', false), target('lru-cpu-vs-hono', false)]);
    expect(lines[0]).toMatch(/^- target local-cpu-vs-hono: Not the lab's code\./);
    expect(lines[1]).toBe('- target lru-cpu-vs-hono: as for target local-cpu-vs-hono.');
  });

  it('says nothing of a target it has no measurement for', () => {
    expect(whyNotMet(result, [target('a-new-target', false)])).toEqual([]);
  });
});
