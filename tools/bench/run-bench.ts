// `npm run bench`: a bare node:http cluster (the floor) and the lab, both compiled JS with the same
// worker count, a private redis-server, and every route driven by autocannon in its own process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '../../src/redis/server.js';
import { sleep } from '../../src/sleep.js';
import { ProcessGroup, startServer } from '../lib/processes.js';
import { type BenchOptions, benchHelpText, parseBenchArgs } from './args.js';
import { runFleetRow } from './fleet-row.js';
import { runFourWorkers } from './four-workers.js';
import { createLoadRunner, type RunLoad } from './load.js';
import { measureRoute } from './measure-route.js';
import { redisVersion } from './redis.js';
import { formatProgressLine, formatReport } from './report.js';
import type { BenchResult, RouteResult, ScalingStep } from './result.js';
import { describeRoute, type RoutePath } from './routes.js';
import { describeMachine, readRssOfAll, SETTLE_LIMIT_S } from './system.js';
import { judgeTargets, RSS_AFTER_LOAD_FACTOR } from './targets.js';

const LAB_CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const BASELINE_SERVER = fileURLToPath(new URL('./baseline-server.js', import.meta.url));
const HONO_FLOOR = fileURLToPath(new URL('./hono-floor.js', import.meta.url));
const EXIT_INTERRUPTED = 130;
/** Let the workers settle (GC, timers) before reading their memory after the load. */
const IDLE_SETTLE_MS = 1000;

export interface BenchIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface BenchContext {
  options: BenchOptions;
  group: ProcessGroup;
  signal: AbortSignal;
  progress: (line: string) => void;
  /** A temp dir removed at the end: data dirs, redis's dir. */
  root: string;
  /** One autocannon measurement at a time, in the bench's autocannon process. */
  load: RunLoad;
}

/** The lab's environment without what would override the bench's flags or reach for another Redis. */
const labEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of ['REDIS_URL', 'WEB_CONCURRENCY', 'PORT', 'HOST']) delete env[name];
  return env;
};

export type LabArgs = (workers: number, dataDir: string) => string[];

/**
 * Each worker's RSS once idle after the load: read every second until every worker is back within
 * the target of its size before the load, or SETTLE_LIMIT_S passed. V8 shrinks its heap only once
 * the allocation rate has stayed low for a while, so a reading one second after the load shows the
 * load's high-water mark, not what an idle worker keeps.
 */
const settleRss = async (pids: readonly number[], before: readonly number[]) => {
  const rightAfter = await readRssOfAll(pids);
  let settled = rightAfter;
  let waited = 0;
  const back = (now: readonly number[]): boolean =>
    now.every((mb, index) => mb <= (before[index] ?? Number.POSITIVE_INFINITY) * RSS_AFTER_LOAD_FACTOR);
  while (!back(settled) && waited < SETTLE_LIMIT_S) {
    await sleep(1000);
    waited += 1;
    settled = await readRssOfAll(pids);
  }
  return { rightAfter, settled, waited };
};

/** Every asked route at one worker count: both floors and the lab started with `workers` workers. */
const measureStep = async (
  context: BenchContext,
  workers: number,
  labArgs: LabArgs,
  redisPids: readonly number[],
): Promise<ScalingStep> => {
  const { options, group, signal, progress, root, load } = context;
  const { connections, durationS } = options;
  const floorArgs = ['--workers', String(workers), '--port', '0'];
  const bare = await startServer({ group, label: 'baseline', args: [BASELINE_SERVER, ...floorArgs] });
  const hono = await startServer({ group, label: 'hono floor', args: [HONO_FLOOR, ...floorArgs] });
  const dataDir = await mkdtemp(join(root, 'data-'));
  const lab = await startServer({ group, label: 'lab', args: [LAB_CLI, ...labArgs(workers, dataDir)], env: labEnv() });
  const idleAtStart = await readRssOfAll(lab.workerPids);
  const tag = `[${workers} worker${workers === 1 ? '' : 's'}]`;
  progress(`${tag} floors and lab ready (lab in ${lab.readyMs} ms, workers' RSS ${idleAtStart.join(', ')} MB)`);

  // JIT warm-up on every side, so that the first measured route does not pay for it.
  const warmS = Math.min(1, durationS);
  for (const [url, path] of [
    [bare.url, '/counter'],
    [hono.url, '/counter'],
    [lab.url, '/counter/local'],
  ] as const) {
    await load({ baseUrl: url, paths: [path], connections, durationS: warmS });
  }

  const routeContext = {
    load,
    labUrl: lab.url,
    labWorkerPids: lab.workerPids,
    labPids: [lab.child.pid ?? 0, ...lab.workerPids, ...redisPids],
    bare: { url: bare.url, pids: [bare.child.pid ?? 0, ...bare.workerPids] },
    hono: { url: hono.url, pids: [hono.child.pid ?? 0, ...hono.workerPids] },
    connections,
    durationS,
    signal,
  };
  const routes: RouteResult[] = [];
  for (const [index, path] of options.routes.entries()) {
    signal.throwIfAborted();
    const route = await measureRoute(routeContext, describeRoute(path as RoutePath));
    routes.push(route);
    progress(`${tag} ${formatProgressLine(index + 1, options.routes.length, route)}`);
  }
  await group.stop(bare.child);
  await group.stop(hono.child);
  await sleep(IDLE_SETTLE_MS);
  const { rightAfter, settled, waited } = await settleRss(lab.workerPids, idleAtStart);
  progress(
    `${tag} lab workers' RSS after the load: ${rightAfter.join(', ')} MB; ${waited} s later ${settled.join(', ')} MB`,
  );
  await group.stop(lab.child);
  return {
    workers,
    ready_ms: lab.readyMs,
    worker_rss_mb: {
      idle_at_start: idleAtStart,
      idle_after_load: settled,
      right_after_load: rightAfter,
      settled_after_s: waited + IDLE_SETTLE_MS / 1000,
    },
    routes,
  };
};

const measure = async (context: BenchContext, argv: readonly string[]): Promise<BenchResult> => {
  const { options, group, signal, progress, root } = context;
  const startedAt = new Date();
  const notes: string[] = [];
  const redis = await redisVersion();
  const machine = describeMachine(redis);

  // The bench's own redis-server (no persistence), handed to the lab with --redis-url, so that the
  // lab's "ready in" figure is the cluster's alone; the process group stops it with everything else.
  let redisUrl: string | null = null;
  const redisPids: number[] = [];
  if (redis !== null) {
    const server = await startRedisServer({
      dir: join(root, 'redis'),
      appendOnly: false,
      spawnProcess: (command, args, spawnOptions) => group.spawn(command, args, spawnOptions),
    });
    redisUrl = server.url;
    redisPids.push(server.pid);
    progress(`redis-server ${redis} on ${redisUrl}`);
  } else {
    notes.push('No redis-server on PATH: the Redis routes could not run.');
  }
  const labArgs: LabArgs = (workers, dataDir) => [
    '--log-format',
    'json',
    '--workers',
    String(workers),
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--db-delay-ms',
    '0',
    ...(redisUrl === null ? [] : ['--redis-url', redisUrl]),
  ];
  const shown = (args: string[]): string =>
    `node dist/src/cli.js ${args.join(' ')}`.replace(redisUrl ?? '\u0000', 'redis://127.0.0.1:<free port>');

  const { workers, connections, durationS } = options;
  const steps: ScalingStep[] = [];
  for (const count of options.scaling) {
    signal.throwIfAborted();
    steps.push(await measureStep(context, count, labArgs, redisPids));
  }
  const main = steps.find((step) => step.workers === workers) as ScalingStep;
  const routes = main.routes;

  signal.throwIfAborted();
  const four = await runFourWorkers(context, { labCli: LAB_CLI, labArgs, labEnv: labEnv(), routes });
  notes.push(...four.notes);

  signal.throwIfAborted();
  const fleetRow = await runFleetRow(context, { labCli: LAB_CLI, labArgs, labEnv: labEnv(), redisUrl, redisPids });
  notes.push(...fleetRow.notes);

  const baselineRuns = routes.flatMap((route) => route.runs.baseline.map((run) => run.requests_per_s));
  const baselineArgs = ['--workers', String(workers), '--port', '0'];
  const unmeasured = routes.filter((route) => !route.available);
  if (unmeasured.length > 0) {
    notes.push(
      `Not available in this lab: ${unmeasured.map((route) => `\`${route.route}\` (${route.reason})`).join('; ')}.`,
    );
  }
  const partial: Omit<BenchResult, 'targets'> = {
    version: 1,
    started_at: startedAt.toISOString(),
    elapsed_s: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    machine,
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    options: { workers, connections, duration_s: durationS, routes: options.routes, scaling: options.scaling },
    lab: {
      command: shown(labArgs(workers, '<fresh temp dir>')),
      workers,
      ready_ms: main.ready_ms,
      worker_rss_mb: main.worker_rss_mb,
    },
    hono: { command: `node dist/tools/bench/hono-floor.js ${baselineArgs.join(' ')}`, workers },
    baseline: {
      command: `node dist/tools/bench/baseline-server.js ${baselineArgs.join(' ')}`,
      workers,
      requests_per_s:
        baselineRuns.length > 0 ? baselineRuns.reduce((sum, value) => sum + value, 0) / baselineRuns.length : null,
    },
    four_workers: four.fourWorkers,
    routes,
    scaling: steps,
    file_comparison: four.fileComparison,
    fleet_comparison: fleetRow.comparison,
    notes,
    pids: [...group.started],
  };
  return { ...partial, targets: judgeTargets(partial) };
};

/** Run the bench with these arguments; resolves to the exit code (130 after Ctrl-C). */
export const runBench = async (
  argv: readonly string[],
  io: BenchIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> => {
  const { help, options } = parseBenchArgs(argv);
  if (help) {
    io.stdout.write(`${benchHelpText()}\n`);
    return 0;
  }
  const group = new ProcessGroup();
  const controller = new AbortController();
  const progress = (line: string): void => {
    io.stderr.write(`bench: ${line}\n`);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      group.killAll();
      return;
    }
    progress(`${signal}: stopping every process the bench started (again to kill them)`);
    controller.abort();
    // stopAll() never rejects; the measurement in progress fails as its processes go.
    void group.stopAll();
  };
  // Last resort if we die on an uncaught error: nothing we started may outlive us.
  const onExit = (): void => group.killAll();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  const root = await mkdtemp(join(tmpdir(), 'cluster-state-lab-bench-'));
  try {
    const result = await measure(
      { options, group, signal: controller.signal, progress, root, load: createLoadRunner(group) },
      argv,
    );
    await writeFile(resolve(options.out), formatReport(result));
    const met = result.targets.filter((target) => target.met === true).length;
    progress(
      `targets met: ${met} of ${result.targets.length}; wrote ${options.out} in ${Math.round(result.elapsed_s)} s`,
    );
    if (options.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (controller.signal.aborted) return EXIT_INTERRUPTED;
    throw error;
  } finally {
    await group.stopAll();
    await rm(root, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
};
