// Lesson 9: who picks the worker for a new connection. Under `rr` (Node's default on Linux) the
// primary accepts every connection and hands it to the next worker over IPC: an even spread, but a
// connection in that hand-off when its worker dies is never answered. Under `os` every worker
// accepts from the one shared socket and the kernel picks: nothing is in transit, so a kill costs
// only the requests that worker had already taken, but the kernel does not take turns. Measured here.
import { sleep } from '../../src/sleep.js';
import { runLoad, type Sample } from '../hammer/load.js';
import { formatNumber, formatTable, percent } from '../hammer/text.js';
import type { Lesson } from './lessons-isolation.js';
import { byWorker, clusterStats, hammer, type LabProcess, type Stage } from './stage.js';

const SPREAD_REQUESTS = 400;
const KILLS = 4;
const CONCURRENCY = 20;
/** A request to /counter/local takes milliseconds; one still unanswered after this is hung. */
const HUNG_AFTER_MS = 3000;
const REPLACEMENT_TIMEOUT_MS = 20_000;

interface PolicyRun {
  policy: 'rr' | 'os';
  perWorker: number[];
  requests: number;
  hung: number;
  reset: number;
  kills: number;
}

/** Kill a serving worker with SIGKILL and wait until the cluster is whole again; `kill` is 1, 2, … */
const killOneAndWaitForReplacement = async (stage: Stage, lab: LabProcess, kill: number): Promise<void> => {
  const before = await clusterStats(lab);
  // The worker the cluster answered from last, so never the same slot twice in a row.
  const victim = before.workers[kill % before.workers.length];
  if (victim === undefined) throw new Error('no worker to kill');
  process.kill(victim.pid, 'SIGKILL');
  const deadline = Date.now() + REPLACEMENT_TIMEOUT_MS;
  for (;;) {
    const stats = await clusterStats(lab).catch(() => undefined);
    if (stats !== undefined && stats.restarts >= kill && stats.workers.length === stage.workers) return;
    if (Date.now() > deadline) throw new Error(`no replacement within ${REPLACEMENT_TIMEOUT_MS} ms after kill ${kill}`);
    await sleep(50);
  }
};

const measure = async (stage: Stage, policy: 'rr' | 'os'): Promise<PolicyRun> => {
  const lab = await stage.startLab(['--schedule', policy]);
  try {
    const { ok } = await hammer(`${lab.url}/counter/local`, SPREAD_REQUESTS, CONCURRENCY);
    const perWorker = byWorker(ok)
      .map((line) => line.requests)
      .sort((a, b) => b - a);
    while (perWorker.length < stage.workers) perWorker.push(0);

    // New connections all along, each allowed HUNG_AFTER_MS, while workers are killed one by one.
    const failures: Sample[] = [];
    let requests = 0;
    const stop = new AbortController();
    const load = runLoad({
      urls: [`${lab.url}/counter/local`],
      requests: 10_000_000,
      durationMs: 120_000,
      concurrency: CONCURRENCY,
      timeoutMs: HUNG_AFTER_MS,
      keepSamples: false,
      signal: stop.signal,
      onSample: (sample) => {
        requests += 1;
        if (sample.status !== 200) failures.push(sample);
      },
    });
    for (let kill = 1; kill <= KILLS; kill += 1) await killOneAndWaitForReplacement(stage, lab, kill);
    // Requests still in flight finish (or reach HUNG_AFTER_MS) and are counted.
    stop.abort();
    await load;
    const hung = failures.filter((sample) => sample.error === 'ETIMEDOUT').length;
    return { policy, perWorker, requests, hung, reset: failures.length - hung, kills: KILLS };
  } finally {
    await stage.stopLab(lab);
  }
};

export const schedulingLessons: Lesson[] = [
  {
    number: 9,
    title: 'Round robin or the kernel: how connections spread, and what a killed worker takes with it',
    async run(stage, out) {
      const runs = [await measure(stage, 'rr'), await measure(stage, 'os')];
      out(
        `${SPREAD_REQUESTS} requests on new connections (${CONCURRENCY} at a time), then ${KILLS} workers killed (SIGKILL) one by one under the same load, a request counted as hung after ${HUNG_AFTER_MS / 1000} s:`,
      );
      const rows = runs.map((run) => [
        `--schedule ${run.policy}`,
        run.perWorker.map(formatNumber).join(' / '),
        percent(run.perWorker[0] ?? 0, SPREAD_REQUESTS),
        formatNumber(run.requests),
        formatNumber(run.hung),
        (run.hung / run.kills).toFixed(1),
        formatNumber(run.reset),
      ]);
      const header = ['policy', 'requests per worker', 'busiest', 'under kills', 'hung', 'per kill', 'reset'];
      for (const row of formatTable(header, rows, new Set([2, 3, 4, 5, 6]))) out(`  ${row}`);
      out();
      const [rr, os] = runs as [PolicyRun, PolicyRun];
      const share = (run: PolicyRun): number => (run.perWorker[0] ?? 0) / SPREAD_REQUESTS;
      out(
        `Spread: the busiest worker took ${percent(rr.perWorker[0] ?? 0, SPREAD_REQUESTS)} under rr and ${percent(os.perWorker[0] ?? 0, SPREAD_REQUESTS)} under os; an even share is ${percent(1, stage.workers)}. ` +
          (share(os) > share(rr) * 1.2
            ? 'The primary takes turns; the kernel wakes whichever worker is waiting, and does not.'
            : 'This time the kernel spread them about as evenly as the turns did; it does not promise to.'),
      );
      out(
        rr.hung > 0
          ? `rr: ${formatNumber(rr.hung)} connection(s) hung over ${rr.kills} kills (${(rr.hung / rr.kills).toFixed(1)} per kill). Each was being handed to a worker as it died; node:cluster has no way back for it, so its client waited for its own timeout (the primary even keeps the socket, in CLOSE-WAIT).`
          : `rr: no connection hung over ${rr.kills} kills this time; the hand-off lasts a fraction of a millisecond and a kill can miss it. Run the lesson again.`,
      );
      out(
        os.hung === 0
          ? `os: none hung over ${os.kills} kills. A connection waits in the one shared socket until a live worker takes it; only the ${formatNumber(os.reset)} request(s) the killed workers had already taken failed, at once (reset), which a client can retry.`
          : `os: ${formatNumber(os.hung)} hung over ${os.kills} kills: more than the shared socket explains; the machine may be too busy for ${HUNG_AFTER_MS / 1000} s answers.`,
      );
      out(
        'Pick rr for an even spread, os when workers may die under load (or a proxy in front that retries). ' +
          'Where the lab ends a worker itself (reload, POST /admin/crash) it closes its server first, so nothing is lost under either.',
      );
    },
  },
];
