// The primary's side of the IPC conversation: one handler per message type. It owns the IPC counter
// and gathers every worker's stats for /cluster.
import type { Worker } from 'node:cluster';
import { Requester } from '../ipc.js';
import type { PrimaryMessage, WorkerMessage } from '../messages.js';
import { type ClusterStats, summarize, type WorkerIdentity, type WorkerStats } from '../stats.js';

export const STATS_TIMEOUT_MS = 1000;

/** What the primary knows beyond the workers: the counters kept in a file and in Redis. */
export type SharedState = Pick<ClusterStats, 'redis' | 'data_dir'> & { shared_counters: Record<string, number | null> };

export interface HubOptions {
  /** Read the file and Redis counters (null where they cannot be read now). */
  sharedState: () => Promise<SharedState>;
  /** The workers that serve now (listening, not draining). */
  liveWorkers: () => Worker[];
  restarts: () => number;
  onFatal: (worker: Worker, message: Extract<WorkerMessage, { type: 'fatal' }>) => void;
}

/** Send to a worker that may be exiting: a closed channel is not an error, its 'exit' event follows. */
export const send = (worker: Worker, message: PrimaryMessage): void => {
  if (worker.isConnected()) worker.send(message, undefined, undefined, ignoreClosedChannel);
};

// With a callback, a failed send is reported here instead of as an 'error' event that would crash us.
const ignoreClosedChannel = (): void => {};

export const identify = (worker: Worker): WorkerIdentity => ({ id: worker.id, pid: worker.process.pid ?? 0 });

export const createHub = ({ liveWorkers, restarts, onFatal, sharedState }: HubOptions) => {
  const startedAt = new Date().toISOString();
  const requester = new Requester();
  let ipcCounter = 0;

  const gather = async (): Promise<ClusterStats> => {
    const workers = liveWorkers();
    const shared = sharedState();
    const answers = await Promise.allSettled(
      workers.map((worker) =>
        requester.request<Extract<WorkerMessage, { type: 'stats-result' }>>(
          (seq) => send(worker, { type: 'stats', seq }),
          STATS_TIMEOUT_MS,
          `stats from worker ${worker.id}`,
        ),
      ),
    );
    const stats: WorkerStats[] = [];
    const unresponsive: WorkerIdentity[] = [];
    answers.forEach((answer, index) => {
      const worker = workers[index];
      if (answer.status === 'fulfilled') stats.push(answer.value.stats);
      else if (worker !== undefined) unresponsive.push(identify(worker));
    });
    stats.sort((a, b) => a.id - b.id);
    const { shared_counters, redis, data_dir } = await shared;
    return {
      workers: stats,
      unresponsive,
      totals: summarize(stats),
      restarts: restarts(),
      ipc_counter: ipcCounter,
      shared_counters: { ipc: ipcCounter, ...shared_counters },
      redis,
      data_dir,
      started_at: startedAt,
    };
  };

  const handlers: {
    [T in WorkerMessage['type']]: (worker: Worker, message: Extract<WorkerMessage, { type: T }>) => void;
  } = {
    'ipc-increment': (worker, { seq, by }) => {
      ipcCounter += by;
      send(worker, { type: 'ipc-increment-result', ack: seq, value: ipcCounter });
    },
    'cluster-stats': (worker, { seq }) => {
      // gather() never rejects: a silent worker is listed as unresponsive.
      void gather().then((cluster) => send(worker, { type: 'cluster-stats-result', ack: seq, cluster }));
    },
    'stats-result': (_worker, message) => requester.settle(message),
    fatal: (worker, message) => onFatal(worker, message),
  };

  return {
    handle(worker: Worker, message: WorkerMessage): void {
      (handlers[message.type] as (worker: Worker, message: WorkerMessage) => void)(worker, message);
    },
    get ipcCounter() {
      return ipcCounter;
    },
  };
};
