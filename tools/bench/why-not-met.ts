// What was measured about each target the lab does not meet on this machine, written under the
// Targets table for the ones a run misses. Figures that this run has are read from it; the others
// come from measurements outside the bench, named with how to repeat them (issue 14's notes).
import type { BenchResult, TargetResult } from './result.js';

const OWN_WORK =
  "Not the lab's code. Counted in instructions instead of seconds (valgrind's callgrind on one worker: 4,000 warm-up requests, then windows of 5,000, which agree to about 1 % whatever else the machine does), the lab's worker executes 99.5k instructions per `/counter/local` request against the Hono floor's 99.9k, and 102.6k per `/user/lru/1` against 107.6k (with its stats report left out: under valgrind requests run about 50 × slower while the report still goes ten times a second, so it weighs 50 × more there than here, where it is 0.1 % of a core). What the CPU column adds beyond the worker: the lab's primary (about 1–2.5 µs per request, read from /proc: the workers' reports and their feed, and its collections) and the bench's redis-server, which the floors do not have. The rest is CPU time without more instructions, and it moves from run to run on this shared VM: the same server loaded right after itself cost 38–39 µs a request, right after another server 52–58.";

const RPS_FOLLOWS_CPU = 'Requests/s follow the CPU per request above, on two cores the load generator shares.';

type Reason = string | ((result: BenchResult) => string);

/** Below the platform floor by what the framework floor already is below it. */
const framework = (result: BenchResult, path: string): string => {
  const route = result.routes.find((candidate) => candidate.route === path);
  const hono =
    route?.hono_requests_per_s && route.baseline_requests_per_s
      ? ` (in this run the Hono floor itself did ${(route.hono_requests_per_s / route.baseline_requests_per_s).toFixed(2)} × bare on it)`
      : '';
  return `The framework: Hono's router and context and its node adapter cost more than a bare node:http handler${hono}, and the lab's worker runs no more instructions per request than the Hono floor (see the CPU targets).`;
};

const REASONS: Record<string, Reason> = {
  'local-cpu-vs-hono': OWN_WORK,
  'lru-cpu-vs-hono': OWN_WORK,
  'local-rps-vs-hono': RPS_FOLLOWS_CPU,
  'lru-rps-vs-hono': RPS_FOLLOWS_CPU,
  'local-vs-baseline': (result) => framework(result, '/counter/local'),
  'lru-vs-baseline': (result) => framework(result, '/user/lru/:id'),
  'redis-vs-local':
    "One loopback round trip to redis-server per request, whose CPU is counted with the lab's (the CPU column: redis against local), on two cores shared with the load generator and the workers.",
  'file-4-vs-2':
    "One lock file serialises every commit on the machine, so requests/s = commits/s × increments per commit (the commits table above). Commits per second rise with workers, but a worker's batch can only hold the requests it has in flight — about connections ÷ workers — so past 2 workers the batches shrink faster than the commits grow.",
  'rss-after-load':
    "What stays is the code V8 compiled for the routes the load ran, and the filled caches, not garbage: a heap snapshot of such a worker held 12 MB live, 5.4 MB of it compiled code. After one route's load a worker comes back within 10 % (RssAnon 30.7 → 66.3 → 34.0 MB: test/cluster/memory.test.ts).",
  'idle-rss':
    'A worker is a whole Node.js process with the lab loaded (Hono, ioredis, prom-client, lru-cache, proper-lockfile) before it answers anything: see "RSS after start". After a load, see the idle worker after the load.',
  'ready-4-workers': (result) => {
    const one = result.scaling.find((step) => step.workers === 1);
    const alone =
      one === undefined ? '' : ` (one worker alone was ready in ${Math.round(one.ready_ms)} ms in this run)`;
    return `Four Node.js processes start on ${result.machine.cpus} cores, each loading the lab before it listens: they share the cores, so four take about ${Math.ceil(4 / result.machine.cpus)} × as long as one${alone}.`;
  },
};

/** The measured reason for each target this run missed, as markdown list items; a reason once. */
export const whyNotMet = (result: BenchResult, targets: readonly TargetResult[]): string[] => {
  const told = new Map<string, string>();
  return targets.flatMap((target) => {
    const reason = REASONS[target.id];
    if (target.met !== false || reason === undefined) return [];
    const text = typeof reason === 'string' ? reason : reason(result);
    const first = told.get(text);
    if (first !== undefined) return [`- ${target.target}: as for ${first}.`];
    told.set(text, target.target);
    return [`- ${target.target}: ${text}`];
  });
};
