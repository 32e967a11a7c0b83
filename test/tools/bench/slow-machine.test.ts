import { describe, expect, it } from 'vitest';
import { SLOW_MACHINE, slowMachineRoutes } from '../../../tools/bench/report.js';
import type { RouteResult } from '../../../tools/bench/result.js';

/** A measured route whose only figure that matters here is the Hono floor's CPU per request. */
const route = (path: string, honoCpu: number | null): RouteResult => ({
  route: path,
  kind: 'counter',
  available: honoCpu !== null,
  reason: null,
  requests_per_s: 1000,
  latency_p50_ms: 1,
  latency_p99_ms: 2,
  baseline_requests_per_s: 1000,
  ratio: 1,
  hono_requests_per_s: 1000,
  hono_ratio: 1,
  spread: 0,
  cpu_us_per_request: 40,
  baseline_cpu_us_per_request: 25,
  hono_cpu_us_per_request: honoCpu,
  non_2xx: 0,
  errors: 0,
  exact: null,
  strategy_stats: null,
  runs: { baseline: [], hono: [], lab: [] },
});

describe('the slow-machine mark', () => {
  it("marks the rows where the Hono floor's own CPU per request rose past the bound over its median", () => {
    // The bench's 1-worker step of 29 November: the floor at 30-31 µs, then 47-67 once the machine slowed.
    const routes = [30, 31, 30, 31, 30, 31, 47, 54, 67, 63, 58, 62].map((cpu, index) => route(`/r${index}`, cpu));
    // Half the step was slow, so its median (47) is a slow figure; the lower quartile (31) is not:
    // 47 is over 1.4 × 31 = 43.4, 31 is not.
    expect([...slowMachineRoutes(routes)]).toEqual(['/r6', '/r7', '/r8', '/r9', '/r10', '/r11']);
    expect(SLOW_MACHINE * 31).toBeLessThan(47);
  });

  it('marks nothing on a steady run, nor with too few rows to tell', () => {
    expect(slowMachineRoutes([30, 33, 29, 35, 31].map((cpu, index) => route(`/r${index}`, cpu))).size).toBe(0);
    expect(slowMachineRoutes([route('/a', 30), route('/b', 90)]).size).toBe(0);
    // Unavailable routes (no floor figure) neither count nor get marked.
    expect(slowMachineRoutes([route('/a', 30), route('/b', null), route('/c', 31), route('/d', 29)]).size).toBe(0);
  });
});
