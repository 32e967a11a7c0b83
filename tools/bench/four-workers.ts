// The lab at 4 workers: how fast it is ready (its banner), how much an idle worker holds, and
// /counter/file under 4 workers × --connections: exact, and how it compares with the naive way of
// taking one proper-lockfile lock per increment in as many processes at the same concurrency.
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../lib/processes.js';
import { measureLockfileCounter } from './lockfile-counter.js';
import { checkExact } from './measure-route.js';
import type { BenchResult, FileComparison, RouteResult } from './result.js';
import { describeRoute } from './routes.js';
import type { BenchContext, LabArgs } from './run-bench.js';
import { readRssOfAll } from './system.js';

export const FOUR_WORKERS = 4;

export interface FourWorkersOptions {
  /** dist/src/cli.js */
  labCli: string;
  labArgs: LabArgs;
  labEnv: NodeJS.ProcessEnv;
  /** The main run's routes: /counter/file is compared only when it was asked for and answered. */
  routes: readonly RouteResult[];
}

export interface FourWorkersResult {
  fourWorkers: BenchResult['four_workers'];
  fileComparison: FileComparison | null;
  notes: string[];
}

export const runFourWorkers = async (
  { options, group, signal, progress, root, load }: BenchContext,
  { labCli, labArgs, labEnv, routes }: FourWorkersOptions,
): Promise<FourWorkersResult> => {
  const { connections, durationS } = options;
  const dataDir = await mkdtemp(join(root, 'data-4-'));
  const lab = await startServer({
    group,
    label: 'lab (4 workers)',
    args: [labCli, ...labArgs(FOUR_WORKERS, dataDir)],
    env: labEnv,
  });
  const rss = await readRssOfAll(lab.workerPids);
  progress(`lab: ${FOUR_WORKERS} workers ready in ${lab.readyMs} ms, workers' RSS ${rss.join(', ')} MB`);
  const fourWorkers = { ready_ms: lab.readyMs, worker_rss_mb_idle: rss };

  const file = routes.find((route) => route.route === '/counter/file');
  if (file === undefined || !file.available) {
    await group.stop(lab.child);
    return { fourWorkers, fileComparison: null, notes: [] };
  }
  const route = describeRoute('/counter/file');
  const target = { baseUrl: lab.url, paths: route.requestPaths, connections };
  await load({ ...target, durationS: Math.min(1, durationS) });
  signal.throwIfAborted();
  const labRun = await load({ ...target, durationS });
  signal.throwIfAborted();
  const labExact = await checkExact({ load, labUrl: lab.url, connections }, route);
  await group.stop(lab.child);
  progress(
    `/counter/file at ${FOUR_WORKERS} workers × ${connections}: ${Math.round(labRun.requests_per_s)} req/s, exact: ${labExact.exact ? 'yes' : 'no'} (${labExact.counted}/${labExact.ok_2xx})`,
  );

  signal.throwIfAborted();
  const lockfile = await measureLockfileCounter({
    group,
    processes: FOUR_WORKERS,
    concurrency: connections,
    durationS,
  });
  progress(
    `naive lockfile counter, ${lockfile.processes} processes × ${connections} loops: ${lockfile.increments_per_s.toFixed(1)} increments/s`,
  );
  return {
    fourWorkers,
    fileComparison: {
      workers: FOUR_WORKERS,
      connections,
      lab: labRun,
      lab_exact: labExact,
      lockfile,
      ratio: lockfile.increments_per_s > 0 ? labRun.requests_per_s / lockfile.increments_per_s : null,
    },
    notes: [],
  };
};
