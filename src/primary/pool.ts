// The primary's register of its workers: who runs, who listens, who is being retired on purpose, and
// each one's IPC channel. cluster.workers is not enough: Node drops a worker from it only once both
// its 'exit' and its 'disconnect' have happened, in either order, so on 'exit' alone a dead worker
// may still be listed — and a shutdown that waited on it would wait forever.
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import type { Schedule } from '../config.js';
import { AppError } from '../errors.js';
import type { Envelope } from '../ipc/channel.js';
import { createPrimaryChannel, type PrimaryChannel } from '../ipc/protocol.js';
import type { WorkerIdentity } from '../stats.js';

/** Scheduling priority of a booting worker (-20 highest); back to 0 once it listens. */
const BOOT_NICENESS = -10;

export interface WorkerPoolOptions {
  /** The script a worker runs: the CLI, which picks the worker side. */
  workerScript: string;
  /** Who hands out connections: the primary in turn (`rr`) or the kernel (`os`). @default 'rr' */
  schedule?: Schedule;
  /** Set up a new worker's channel (its handlers) before the worker can say anything. */
  attach: (channel: PrimaryChannel, worker: Worker) => void;
  /** A worker started listening. */
  onListening: (worker: Worker, address: AddressInfo) => void;
  /** A worker exited: see WorkerExit for why. */
  onExit: (worker: Worker, exit: WorkerExit) => void;
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** Retired on purpose (a reload): not to be replaced. */
  retired: boolean;
  /**
   * Why the worker said it was leaving (POST /admin/crash), or null: a planned exit is replaced and
   * counted as a restart, but it is no sign of a crash loop.
   */
  planned: string | null;
}

export interface ForkOptions {
  /**
   * Boot ahead of the serving workers (a raised priority until it listens): right for a worker that
   * replaces a dead one, wrong for one that boots beside a worker still serving (a recycling), where
   * it would only take CPU from the requests. @default true
   */
  urgent?: boolean;
}

export interface WorkerPool {
  fork(options?: ForkOptions): Worker;
  /** Workers that run and listen (not draining): the ones that serve now. */
  live(): Worker[];
  /** Every worker process that has not exited. */
  all(): Worker[];
  channelOf(worker: Worker): PrimaryChannel | undefined;
  /** The next exit of this worker is planned (a reload retires it): not a death to replace. */
  retire(worker: Worker): void;
  /** The worker said it is about to exit (`reason`): a planned exit, replaced but not a death. */
  expectExit(worker: Worker, reason: string): void;
  /**
   * The primary is about to kill this worker on purpose (`reason`): it serves until it dies, and its
   * exit is replaced and counted but is no sign of a crash loop.
   */
  expectDeath(worker: Worker, reason: string): void;
}

/** A worker as bodies and /cluster name it: this cluster's instance, its id, its pid. */
export const identify = (instance: string, worker: Worker): WorkerIdentity => ({
  instance,
  id: worker.id,
  pid: worker.process.pid ?? 0,
});

const setNiceness = (worker: Worker, niceness: number): void => {
  try {
    if (worker.process.pid !== undefined) setPriority(worker.process.pid, niceness);
  } catch {
    // Not permitted (not root) or already gone: it boots at normal priority.
  }
};

/** Send to a worker that may be exiting: a closed channel is not an error, its 'exit' event follows. */
const portOf = (worker: Worker) => ({
  send(message: Envelope): void {
    // With a callback, a failed send is reported to it instead of as an 'error' event that would crash us.
    if (worker.isConnected()) worker.send(message, undefined, undefined, () => {});
  },
});

export const createWorkerPool = ({
  workerScript,
  schedule = 'rr',
  attach,
  onListening,
  onExit,
}: WorkerPoolOptions): WorkerPool => {
  const running = new Map<number, Worker>();
  const listening = new Set<number>();
  const retiring = new Set<number>();
  const leaving = new Map<number, string>();
  const channels = new Map<number, PrimaryChannel>();

  // Node reads the policy once, at the first setupPrimary: it must be set before. `os` shares the
  // listening socket and lets the kernel wake a worker; `rr` accepts here and passes each connection
  // on over IPC — even, but a connection in that hand-off when its worker dies is never answered.
  cluster.schedulingPolicy = schedule === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  // Workers get the primary's Node flags (`node --max-semi-space-size=2 dist/src/cli.js`: see the
  // README), and --expose-gc: an idle worker gives back what a load grew (src/worker/idle-shrink.ts).
  const execArgv = process.execArgv.includes('--expose-gc') ? process.execArgv : [...process.execArgv, '--expose-gc'];
  cluster.setupPrimary({ exec: workerScript, args: [], execArgv });

  const fork = ({ urgent = true }: ForkOptions = {}): Worker => {
    // No environment of our own: the config (secrets included) reaches the worker over IPC.
    const worker = cluster.fork();
    const channel = createPrimaryChannel(portOf(worker));
    attach(channel, worker);
    running.set(worker.id, worker);
    channels.set(worker.id, channel);
    worker.on('message', (message: unknown) => channel.receive(message));
    // A replacement boots while the others are busy serving: let it have the CPU first, so the
    // cluster is back to full strength fast. Needs privileges; without them it boots at par.
    if (urgent) setNiceness(worker, BOOT_NICENESS);
    worker.once('listening', (address: AddressInfo) => {
      if (urgent) setNiceness(worker, 0);
      // A worker retired before it ever listened (a reload that gave up) is not counted as serving.
      if (!retiring.has(worker.id)) listening.add(worker.id);
      onListening(worker, address);
    });
    worker.once('exit', (code: number | null, signal: string | null) => {
      running.delete(worker.id);
      listening.delete(worker.id);
      channels.delete(worker.id);
      channel.close(new AppError('E_IPC_TIMEOUT', `Worker ${worker.id} exited.`));
      const planned = leaving.get(worker.id) ?? null;
      leaving.delete(worker.id);
      onExit(worker, { code, signal, retired: retiring.delete(worker.id), planned });
    });
    return worker;
  };

  return {
    fork,
    all: () => [...running.values()],
    live: () => [...running.values()].filter((worker) => listening.has(worker.id)),
    channelOf: (worker) => channels.get(worker.id),
    retire(worker) {
      retiring.add(worker.id);
      listening.delete(worker.id);
    },
    expectExit(worker, reason) {
      leaving.set(worker.id, reason);
      // It closes its server before it exits: it serves no more.
      listening.delete(worker.id);
    },
    expectDeath(worker, reason) {
      leaving.set(worker.id, reason);
    },
  };
};
