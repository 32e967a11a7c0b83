// A worker's end of its channel to the primary: the port over `process`, what it answers when the
// primary asks (its stats, its metrics, a reset of its memory), and the asks it makes on behalf of
// the routes (/cluster, /metrics, the admin routes), each bounded so a busy primary is a 503.
import type { AdminOptions } from '../admin.js';
import type { AppOptions } from '../app.js';
import type { Envelope } from '../ipc/channel.js';
import { createWorkerChannel, type WorkerChannel } from '../ipc/protocol.js';
import type { Lab } from '../lab.js';
import type { WorkerMetrics } from '../metrics.js';

/** How long a worker waits for the primary to answer a /cluster, /metrics or admin request. */
export const PRIMARY_ANSWER_TIMEOUT_MS = 2000;

/** The channel over this process's IPC pipe; messages that are not ours are left to others. */
export const openPrimaryChannel = (): WorkerChannel => {
  const channel = createWorkerChannel({
    send(message: Envelope): void {
      // With a callback a closed channel (primary gone) is not thrown; the worker exits on 'disconnect'.
      process.send?.(message, undefined, undefined, () => {});
    },
  });
  process.on('message', (message: unknown) => channel.receive(message));
  // Answered from the first moment: only a stopped or blocked worker leaves it unanswered.
  channel.handle('heartbeat', () => null);
  return channel;
};

/** Answer the primary's questions about this worker. */
export const answerPrimary = (channel: WorkerChannel, lab: Lab, metrics: WorkerMetrics): void => {
  channel
    .handle('stats', () => lab.stats())
    .handle('collect-metrics', () => metrics.json())
    .handle('reset-local', () => {
      lab.reset();
      return lab.stats();
    });
};

const ask = { timeoutMs: PRIMARY_ANSWER_TIMEOUT_MS };

/** What the app needs from the primary: the cluster's stats and metrics. */
export const primaryViews = (channel: WorkerChannel): Pick<AppOptions, 'clusterStats' | 'metrics'> => ({
  clusterStats: () => channel.request('cluster-stats', null, { ...ask, what: 'the cluster stats' }),
  metrics: () => channel.request('metrics', null, { ...ask, what: 'the metrics' }),
});

/** The admin routes' asks of the primary (`self`: this worker's id, for a kill of itself). */
export const primaryAdmin = (
  channel: WorkerChannel,
  self: number,
): Pick<AdminOptions, 'reset' | 'reload' | 'attempt' | 'kill' | 'redis' | 'keepAlive'> => ({
  reset: (shared) => channel.request('reset', { shared }, { ...ask, what: 'the reset' }),
  reload: () => channel.request('reload', null, { ...ask, what: 'the reload' }),
  kill: (id) => channel.request('kill-worker', { id, from: self }, { ...ask, what: 'the kill' }),
  // Starting a redis-server takes a moment (it loads its append-only file): a longer bound.
  redis: (action) => channel.request('redis-control', { action }, { timeoutMs: 10_000, what: `the Redis ${action}` }),
  keepAlive: (on) => channel.request('keep-alive', { on }, { ...ask, what: 'the keep-alive switch' }),
  // No answer from the primary is a 503: an admin route never runs unchecked.
  attempt: (attempt) => channel.request('admin-attempt', attempt, { ...ask, what: 'the admin check' }),
});
