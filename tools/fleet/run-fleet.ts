// Start a fleet: check for HAProxy and every port before anything starts, then one Redis, N lab
// clusters ("hosts", each with its own data dir and name), the fleet's view server, and HAProxy in
// front; ready once HAProxy's health checks see every host UP. Everything goes through one
// ProcessGroup, so that stop() — or a failure half-way — leaves no process behind.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../src/errors.js';
import type { LogFields, Logger } from '../../src/log.js';
import { probePort } from '../../src/primary/port-probe.js';
import { sleep } from '../../src/sleep.js';
import { ProcessGroup } from '../lib/processes.js';
import { checkPortRange, type FleetOptions, hostPorts } from './args.js';
import { type RunningHaproxy, requireHaproxy, startHaproxy } from './haproxy.js';
import { BACKEND, CHECK_FALL, renderHaproxyConfig } from './haproxy-config.js';
import { createHost, type FleetHost } from './hosts.js';
import type { FleetReadyEvent } from './ready-event.js';
import { type FleetRedis, openFleetRedis } from './redis.js';
import type { ServerState } from './runtime-api.js';
import { type FleetControl, type HostAction, type HostActionResult, listenFleetServer } from './server.js';
import { buildFleetView, type FleetInfo, takeBaseline, type ViewState } from './view.js';

/** Every host UP in HAProxy's eyes: rise × inter after it listens, with room for a busy machine. */
const ALL_UP_TIMEOUT_MS = 15_000;

/** The user's variables that would override what the fleet sets for each host. */
const HOST_ENV_OVERRIDES = ['REDIS_URL', 'REDIS_URL_FILE', 'WEB_CONCURRENCY', 'PORT', 'HOST', 'LAB_INSTANCE'];

export interface Fleet {
  url: string;
  ready: FleetReadyEvent;
  hosts: readonly FleetHost[];
  /** Settles with an error if HAProxy dies on its own: the fleet cannot serve without it. */
  failed: Promise<Error>;
  stop(): Promise<void>;
  /** A second Ctrl-C: no more waiting. */
  killAll(): void;
}

/** Which port each part gets: the balancer's, then each host's (fixed, or free ones with --port 0). */
const choosePorts = async (options: FleetOptions): Promise<{ front: number; hosts: number[] }> => {
  checkPortRange(options);
  const front = await probePort({ host: options.bind, port: options.port });
  const hosts: number[] = [];
  for (const [index, wanted] of hostPorts(options).entries()) {
    try {
      hosts.push(await probePort({ host: '127.0.0.1', port: wanted ?? 0 }));
    } catch (error) {
      throw new AppError(
        'E_PORT_IN_USE',
        `Port ${wanted} for host-${index + 1} is already in use (host N listens on --port + N); pick another --port, or 0 for free ports.`,
        { cause: error },
      );
    }
  }
  return { front, hosts };
};

const hostEnv = (redisUrl: string | null): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const name of HOST_ENV_OVERRIDES) delete env[name];
  if (redisUrl !== null) env.REDIS_URL = redisUrl;
  return env;
};

/** HAProxy's "Server hosts/host-2 is DOWN, reason: …" as an event name tools can wait for. */
const haproxyEvent = (message: string): LogFields => {
  const match = /Server [^/\s]+\/(\S+) is (UP|DOWN)/.exec(message);
  return match === null
    ? { role: 'haproxy' }
    : { role: 'haproxy', event: `server-${match[2]?.toLowerCase()}`, server: match[1] ?? '' };
};

export interface StartFleetOptions {
  options: FleetOptions;
  log: Logger;
}

export const startFleet = async ({ options, log }: StartFleetOptions): Promise<Fleet> => {
  const startedAt = performance.now();
  const executable = await requireHaproxy();
  const ports = await choosePorts(options);
  const group = new ProcessGroup();
  const runDir = await mkdtemp(join(tmpdir(), 'cluster-state-lab-fleet-'));
  let redis: FleetRedis | null = null;
  let haproxy: RunningHaproxy | null = null;
  let server: Server | null = null;
  let hosts: FleetHost[] = [];
  let stopping = false;
  let reportFailure: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => {
    reportFailure = resolve;
  });

  const stop = async (): Promise<void> => {
    stopping = true;
    // The balancer first, so that no new request reaches a host that is going away; with no balancer
    // left, the hosts need not wait for its checks (their --shutdown-delay-ms) either.
    await haproxy?.stop();
    await Promise.all(hosts.map((host) => host.stop({ skipDelay: true })));
    await redis?.stop();
    await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
    await group.stopAll();
    await rm(runDir, { recursive: true, force: true });
  };

  try {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    redis = await openFleetRedis({ redisUrl: options.redisUrl, dataDir: options.dataDir, log, group });
    const env = hostEnv(redis.url);
    hosts = ports.hosts.map((port, index) => {
      const name = `host-${index + 1}`;
      return createHost({
        group,
        name,
        port,
        dataDir: join(options.dataDir, name),
        workers: options.workers,
        shutdownDelayMs: options.hostShutdownDelayMs,
        labArgs: options.labArgs,
        env,
        onLog: ({ level, message, fields }) => log[level](`${name}: ${message}`, { ...fields, instance: name }),
        onExit: (exit) => {
          if (exit.planned || stopping) return;
          const how =
            exit.signal !== null || exit.code !== 0
              ? `died (${exit.signal ?? `exit code ${exit.code}`})`
              : 'exited (code 0: stopped from outside the fleet)';
          log.warn(
            `${name} ${how}; HAProxy takes it out after ${CHECK_FALL} failed checks. Start it again: POST /fleet/hosts/${name}/start on the control socket.`,
            { event: 'host-died', instance: name, signal: exit.signal, code: exit.code },
          );
        },
      });
    });
    await Promise.all(hosts.map((host) => host.start()));

    const statsSocket = join(runDir, 'haproxy.sock');
    const controlSocket = join(runDir, 'fleet.sock');
    const configPath = join(runDir, 'haproxy.cfg');
    const config = renderHaproxyConfig({
      bind: options.bind,
      port: ports.front,
      balance: options.balance,
      hosts: hosts.map((host) => ({ name: host.name, port: host.port })),
      statsSocket,
      fleetSocket: controlSocket,
      hostShutdownDelayMs: options.hostShutdownDelayMs,
    });
    await writeFile(configPath, config, { mode: 0o600 });

    const url = `http://${options.bind.includes(':') ? `[${options.bind}]` : options.bind}:${ports.front}`;
    let viewState: ViewState | null = null;
    let info: FleetInfo | null = null;
    const running = (): { haproxy: RunningHaproxy; info: FleetInfo; state: ViewState } => {
      if (haproxy === null || info === null || viewState === null) throw new Error('The fleet is not ready yet.');
      return { haproxy, info, state: viewState };
    };
    const hostNamed = (name: string): FleetHost => {
      const host = hosts.find((candidate) => candidate.name === name);
      if (host === undefined) throw new Error(`No host ${name}.`);
      return host;
    };
    const control: FleetControl = {
      hostNames: () => hosts.map((host) => host.name),
      view: () => {
        const { haproxy: balancer, info: fleetInfo, state } = running();
        // The private redis-server may have been restarted since (a new pid).
        const now = { ...fleetInfo, redis: { ...fleetInfo.redis, pid: redis?.pid() ?? null } };
        return buildFleetView({ info: now, hosts, api: balancer.api, state });
      },
      async rebaseline() {
        viewState = await takeBaseline(hosts);
        return { baseline_at: viewState.baselineAt };
      },
      async hostAction(name, action: HostAction): Promise<HostActionResult> {
        const host = hostNamed(name);
        const began = performance.now();
        if (action === 'drain' || action === 'ready' || action === 'maint') {
          await running().haproxy.api.setServerState(BACKEND, name, action as ServerState);
        } else if (action === 'stop') await host.stop();
        else if (action === 'kill') await host.kill();
        else if (action === 'start') await host.start();
        else {
          await host.stop();
          await host.start();
        }
        log.info(`${name}: ${action} (${Math.round(performance.now() - began)} ms)`, {
          event: `host-${action}`,
          instance: name,
        });
        return {
          instance: name,
          action,
          state: host.state(),
          primary_pid: host.primaryPid(),
          ms: Math.round(performance.now() - began),
        };
      },
    };
    server = await listenFleetServer(control, controlSocket);
    haproxy = await startHaproxy({
      group,
      executable,
      configPath,
      statsSocket,
      onLine: ({ level, message }) => log[level](`haproxy: ${message}`, haproxyEvent(message)),
    });
    const balancer = haproxy;
    void balancer.exited.then(({ code, signal }) => {
      if (!stopping)
        reportFailure(new Error(`haproxy (pid ${balancer.pid}) exited on its own (${signal ?? `code ${code}`}).`));
    });

    // Ready when HAProxy itself routes to every host, not merely when they listen.
    const deadline = Date.now() + ALL_UP_TIMEOUT_MS;
    for (;;) {
      const stats = await balancer.api.showStat().catch(() => []);
      const up = hosts.filter((host) => stats.some((stat) => stat.name === host.name && stat.status === 'UP'));
      if (up.length === hosts.length) break;
      if (Date.now() > deadline) {
        const down = hosts.filter((host) => !up.includes(host)).map((host) => host.name);
        throw new AppError('E_LISTEN', `HAProxy did not see ${down.join(', ')} UP within ${ALL_UP_TIMEOUT_MS} ms.`);
      }
      await sleep(50);
    }
    info = {
      url,
      balance: options.balance,
      hosts: hosts.length,
      workers_per_host: options.workers,
      redis: { origin: redis.origin, url: redis.shownUrl, pid: redis.pid() },
      haproxy: { pid: balancer.pid, version: balancer.version, config: configPath, stats_socket: statsSocket },
      started_at: new Date().toISOString(),
    };
    viewState = await takeBaseline(hosts);

    const ready: FleetReadyEvent = {
      event: 'ready',
      url,
      ready_ms: Math.round(performance.now() - startedAt),
      balance: options.balance,
      control_socket: controlSocket,
      haproxy: { pid: balancer.pid, version: balancer.version, stats_socket: statsSocket, config: configPath },
      redis: { origin: redis.origin, url: redis.shownUrl, pid: redis.pid(), password_file: redis.passwordFile },
      hosts: hosts.map((host) => ({
        instance: host.name,
        url: host.url,
        primary_pid: host.primaryPid() ?? 0,
        data_dir: host.dataDir,
        workers: host.workerPids().map((pid, index) => ({ id: index + 1, pid })),
      })),
      workers: hosts.flatMap((host) =>
        (host.ready()?.workers ?? []).map((worker) => ({ instance: host.name, id: worker.id, pid: worker.pid })),
      ),
    };
    return { url, ready, hosts, failed, stop, killAll: () => group.killAll() };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** --print-config: the configuration as the fleet would write it, with the ports it would use now. */
export const fleetConfigPreview = async (options: FleetOptions): Promise<string> => {
  const ports = await choosePorts(options);
  const runDir = join(tmpdir(), 'cluster-state-lab-fleet-XXXXXX');
  const text = renderHaproxyConfig({
    bind: options.bind,
    port: ports.front,
    balance: options.balance,
    hosts: ports.hosts.map((port, index) => ({ name: `host-${index + 1}`, port })),
    statsSocket: join(runDir, 'haproxy.sock'),
    fleetSocket: join(runDir, 'fleet.sock'),
    hostShutdownDelayMs: options.hostShutdownDelayMs,
  });
  const notes = [
    `# The run directory (${runDir} here) is made at start, mode 0700, and removed at the end.`,
    ...(options.port === 0 ? ['# --port 0: these free ports were picked now; a start picks its own.'] : []),
  ];
  return `${notes.join('\n')}\n${text}`;
};
