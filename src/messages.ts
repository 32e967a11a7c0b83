import type { ErrorCode } from './errors.js';
import type { ClusterStats, WorkerStats } from './stats.js';

// Every message between the primary and a worker. Requests carry a `seq`; replies carry the request's
// `seq` as `ack`, as Node's own cluster messages do, so that concurrent asks never mix up answers.

/** What POST /admin/reset did. */
export interface ResetResult {
  workers: number;
  ipc: boolean;
  /** The file and Redis counters too (only with ?shared=1). */
  shared: boolean;
  /** What could not be reset (e.g. Redis down). */
  errors: string[];
}

/** What POST /admin/reload started. */
export interface ReloadResult {
  /** false when a reload or a shutdown is already under way. */
  started: boolean;
  workers: number;
}

/** Worker → primary. */
export type WorkerMessage =
  | { type: 'ipc-increment'; seq: number; by: number }
  | { type: 'cluster-stats'; seq: number }
  | { type: 'stats-result'; ack: number; stats: WorkerStats }
  | { type: 'reset'; seq: number; shared: boolean }
  | { type: 'reset-local-result'; ack: number }
  | { type: 'reload'; seq: number }
  | { type: 'metrics'; seq: number }
  | { type: 'collect-metrics-result'; ack: number; metrics: object[] }
  | { type: 'fatal'; code: ErrorCode; message: string };

/** Primary → worker. */
export type PrimaryMessage =
  | { type: 'ipc-increment-result'; ack: number; value: number }
  | { type: 'cluster-stats-result'; ack: number; cluster: ClusterStats }
  | { type: 'stats'; seq: number }
  | { type: 'reset-local'; seq: number }
  | { type: 'reset-result'; ack: number; result: ResetResult }
  | { type: 'reload-result'; ack: number; result: ReloadResult }
  | { type: 'metrics-result'; ack: number; text: string; contentType: string }
  | { type: 'collect-metrics'; seq: number }
  | { type: 'shutdown' };

// A record, not a list, so that the compiler insists on every type of both unions.
const TYPES: Record<(WorkerMessage | PrimaryMessage)['type'], true> = {
  'ipc-increment': true,
  'cluster-stats': true,
  'stats-result': true,
  reset: true,
  'reset-local-result': true,
  reload: true,
  metrics: true,
  'collect-metrics-result': true,
  fatal: true,
  'ipc-increment-result': true,
  'cluster-stats-result': true,
  stats: true,
  'reset-local': true,
  'reset-result': true,
  'reload-result': true,
  'metrics-result': true,
  'collect-metrics': true,
  shutdown: true,
};

/** Messages that are not ours (prom-client shares the channel) are ignored, not trusted. */
export const isLabMessage = (message: unknown): message is WorkerMessage | PrimaryMessage =>
  typeof message === 'object' &&
  message !== null &&
  Object.hasOwn(TYPES, (message as { type?: unknown }).type as string);

export type Reply = Extract<WorkerMessage | PrimaryMessage, { ack: number }>;
