import type { ErrorCode } from './errors.js';
import type { ClusterStats, WorkerStats } from './stats.js';

// Every message between the primary and a worker. Requests carry a `seq`; replies carry the request's
// `seq` as `ack`, as Node's own cluster messages do, so that concurrent asks never mix up answers.

/** Worker → primary. */
export type WorkerMessage =
  | { type: 'ipc-increment'; seq: number; by: number }
  | { type: 'cluster-stats'; seq: number }
  | { type: 'stats-result'; ack: number; stats: WorkerStats }
  | { type: 'fatal'; code: ErrorCode; message: string };

/** Primary → worker. */
export type PrimaryMessage =
  | { type: 'ipc-increment-result'; ack: number; value: number }
  | { type: 'cluster-stats-result'; ack: number; cluster: ClusterStats }
  | { type: 'stats'; seq: number }
  | { type: 'shutdown' };

const TYPES = new Set([
  'ipc-increment',
  'cluster-stats',
  'stats-result',
  'fatal',
  'ipc-increment-result',
  'cluster-stats-result',
  'stats',
  'shutdown',
]);

/** Messages that are not ours (other libraries may share the channel) are ignored, not trusted. */
export const isLabMessage = (message: unknown): message is WorkerMessage | PrimaryMessage =>
  typeof message === 'object' &&
  message !== null &&
  typeof (message as { type?: unknown }).type === 'string' &&
  TYPES.has((message as { type: string }).type);

export type Reply = Extract<WorkerMessage | PrimaryMessage, { ack: number }>;
