// The primary's side of the IPC conversation: one handler per message type. It owns the IPC counter,
// gathers every worker's stats for /cluster and metrics for /metrics, and runs the admin resets.
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { Requester } from '../ipc.js';
import type { PrimaryMessage, ReloadResult, ResetResult, WorkerMessage } from '../messages.js';
import { type ClusterStats, summarize, type WorkerIdentity, type WorkerStats } from '../stats.js';

/** How long the primary waits for one worker's stats, metrics or reset before leaving it out. */
export const WORKER_ANSWER_TIMEOUT_MS = 1000;

/** What the primary knows beyond the workers: the counters kept in a file and in Redis. */
export type SharedState = Pick<ClusterStats, 'redis' | 'data_dir'> & { shared_counters: Record<string, number | null> };

type Ask<T extends WorkerMessage['type']> = Extract<WorkerMessage, { type: T }>;

export interface HubOptions {
  /** The workers that serve now (listening, not draining). */
  liveWorkers: () => Worker[];
  restarts: () => number;
  /** Read the file and Redis counters (null where they cannot be read now); never rejects. */
  sharedState: () => Promise<SharedState>;
  onFatal: (worker: Worker, message: Ask<'fatal'>) => void;
  /** Start a rolling restart (POST /admin/reload). */
  reload: () => ReloadResult;
  /** Zero the file and Redis counters (POST /admin/reset?shared=1). */
  resetShared: () => Promise<void>;
  /** The primary's own metrics (restarts, shared counters, Redis up), merged into /metrics. */
  primaryRegistry: Registry;
}

/** Send to a worker that may be exiting: a closed channel is not an error, its 'exit' event follows. */
export const send = (worker: Worker, message: PrimaryMessage): void => {
  if (worker.isConnected()) worker.send(message, undefined, undefined, ignoreClosedChannel);
};

// With a callback, a failed send is reported here instead of as an 'error' event that would crash us.
const ignoreClosedChannel = (): void => {};

const dropFailure = (): void => {};

export const identify = (worker: Worker): WorkerIdentity => ({ id: worker.id, pid: worker.process.pid ?? 0 });

export const createHub = (options: HubOptions) => {
  const { liveWorkers, restarts, sharedState, onFatal, reload, resetShared, primaryRegistry } = options;
  const startedAt = new Date().toISOString();
  const requester = new Requester();
  let ipcCounter = 0;

  /** Ask every live worker the same question; silent ones are listed apart, never waited for. */
  const askAll = async <T extends Ask<'stats-result' | 'collect-metrics-result' | 'reset-local-result'>>(
    build: (seq: number) => PrimaryMessage,
    what: string,
  ) => {
    const workers = liveWorkers();
    const answers = await Promise.allSettled(
      workers.map((worker) =>
        requester.request<T>(
          (seq) => send(worker, build(seq)),
          WORKER_ANSWER_TIMEOUT_MS,
          `${what} from worker ${worker.id}`,
        ),
      ),
    );
    const replies: T[] = [];
    const silent: WorkerIdentity[] = [];
    answers.forEach((answer, index) => {
      const worker = workers[index];
      if (answer.status === 'fulfilled') replies.push(answer.value);
      else if (worker !== undefined) silent.push(identify(worker));
    });
    return { workers, replies, silent };
  };

  const gather = async (): Promise<ClusterStats> => {
    const shared = sharedState();
    const { replies, silent } = await askAll<Ask<'stats-result'>>((seq) => ({ type: 'stats', seq }), 'stats');
    const stats: WorkerStats[] = replies.map((reply) => reply.stats).sort((a, b) => a.id - b.id);
    const { shared_counters, redis, data_dir } = await shared;
    return {
      workers: stats,
      unresponsive: silent,
      totals: summarize(stats),
      restarts: restarts(),
      ipc_counter: ipcCounter,
      shared_counters: { ipc: ipcCounter, ...shared_counters },
      redis,
      data_dir,
      started_at: startedAt,
    };
  };

  const metrics = async () => {
    const { replies } = await askAll<Ask<'collect-metrics-result'>>(
      (seq) => ({ type: 'collect-metrics', seq }),
      'metrics',
    );
    const all = [...replies.map((reply) => reply.metrics), await primaryRegistry.getMetricsAsJSON()];
    const aggregated = AggregatorRegistry.aggregate(all);
    return { text: await aggregated.metrics(), contentType: aggregated.contentType as string };
  };

  // Every live worker zeroes its own counters; the primary zeroes the IPC one (and the shared ones).
  const reset = async (shared: boolean): Promise<ResetResult> => {
    ipcCounter = 0;
    const { workers, silent } = await askAll<Ask<'reset-local-result'>>(
      (seq) => ({ type: 'reset-local', seq }),
      'reset',
    );
    const errors = silent.map((worker) => `worker ${worker.id} did not answer`);
    if (shared) {
      await resetShared().catch((error: unknown) => {
        errors.push(error instanceof Error ? error.message : String(error));
      });
    }
    return { workers: workers.length - silent.length, ipc: true, shared, errors };
  };

  const handlers: { [T in WorkerMessage['type']]: (worker: Worker, message: Ask<T>) => void } = {
    'ipc-increment': (worker, { seq, by }) => {
      ipcCounter += by;
      send(worker, { type: 'ipc-increment-result', ack: seq, value: ipcCounter });
    },
    // Silent workers are listed, not waited for. Should anything else fail, the asking worker times
    // out and answers 503: the primary must never die of an unhandled rejection.
    'cluster-stats': (worker, { seq }) => {
      void gather()
        .then((cluster) => send(worker, { type: 'cluster-stats-result', ack: seq, cluster }))
        .catch(dropFailure);
    },
    metrics: (worker, { seq }) => {
      void metrics()
        .then(({ text, contentType }) => send(worker, { type: 'metrics-result', ack: seq, text, contentType }))
        .catch(dropFailure);
    },
    reset: (worker, { seq, shared }) => {
      void reset(shared)
        .then((result) => send(worker, { type: 'reset-result', ack: seq, result }))
        .catch(dropFailure);
    },
    reload: (worker, { seq }) => send(worker, { type: 'reload-result', ack: seq, result: reload() }),
    'stats-result': (_worker, message) => requester.settle(message),
    'collect-metrics-result': (_worker, message) => requester.settle(message),
    'reset-local-result': (_worker, message) => requester.settle(message),
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
