// Starts the built fleet (dist/tools/fleet.js) as a real process tree — N lab clusters, a redis-server,
// HAProxy — on free ports, remembers every pid it ever logged, and stops it with SIGTERM, checking
// that none is left behind (killing the stragglers, and failing, if one is).
import { fileURLToPath } from 'node:url';
import { pidsOfFleet, type RunningFleet, startFleetProcess } from '../../tools/fleet/ready-event.js';
import { createRuntimeApi, type ProxyStat } from '../../tools/fleet/runtime-api.js';
import { ProcessGroup } from '../../tools/lib/processes.js';
import { isAlive, makeTempDir, waitFor } from './cluster.js';

export interface TestFleet extends RunningFleet {
  /** Every pid the fleet named: the ready event's, and any in its log since (restarted hosts). */
  pids(): number[];
}

/** The built fleet: tests import tools/ from source, but start what `npm run fleet` starts. */
export const FLEET_CLI = fileURLToPath(new URL('../../dist/tools/fleet.js', import.meta.url));
const STOP_TIMEOUT_MS = 30_000;
const running = new Set<{ fleet: TestFleet; group: ProcessGroup }>();

/** `"pid":123` in a JSON log line (the hosts' own lines carry their pid). */
const PID_IN_LOG = /"(?:pid|primary_pid|redis_pid|worker_pid)":(\d+)/g;

/** A fleet on free ports with a fresh data dir (unless the args name one) and its own private Redis. */
export const startTestFleet = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<TestFleet> => {
  const group = new ProcessGroup();
  const defaults = args.includes('--data-dir') ? [] : ['--data-dir', await makeTempDir()];
  const base = { ...process.env };
  for (const name of ['REDIS_URL', 'REDIS_URL_FILE']) delete base[name];
  const started = await startFleetProcess({
    group,
    args: [...defaults, ...args],
    env: { ...base, ...env },
    cli: FLEET_CLI,
  });
  const fleet: TestFleet = {
    ...started,
    pids: () => {
      const fromLog = [...started.stderrTail().matchAll(PID_IN_LOG)].map((match) => Number(match[1]));
      return [...new Set([...pidsOfFleet(started.ready), ...fromLog, started.child.pid ?? 0])].filter((pid) => pid > 0);
    },
  };
  running.add({ fleet, group });
  return fleet;
};

/** SIGTERM the fleet; resolves to its exit code once it and every process it named are gone. */
export const stopTestFleet = async (fleet: TestFleet): Promise<number | null> => {
  const entry = [...running].find((candidate) => candidate.fleet === fleet);
  if (entry !== undefined) running.delete(entry);
  const pids = fleet.pids();
  const { child } = fleet;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  child.kill('SIGTERM');
  try {
    let guard: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        guard = setTimeout(
          () => reject(new Error(`The fleet did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM.`)),
          STOP_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(guard));
    await waitFor(
      () => (pids.some(isAlive) ? undefined : true),
      15_000,
      `every pid of the fleet to exit (${pids.filter(isAlive).join(', ')} left)`,
    );
    return code;
  } finally {
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await entry?.group.stopAll();
  }
};

/** For afterEach: stop whatever a test started, even when it failed half-way. */
export const stopAllFleets = async (): Promise<void> => {
  await Promise.all([...running].map(({ fleet }) => stopTestFleet(fleet)));
};

/** HAProxy's line for one host, from its Runtime API. */
export const serverStat = async (fleet: RunningFleet, host: string): Promise<ProxyStat | undefined> =>
  (await createRuntimeApi(fleet.ready.haproxy.stats_socket).showStat()).find(
    (stat) => stat.proxy === 'hosts' && stat.name === host,
  );
