// The live feed's worker half: the last requests this worker served, kept in a small ring of reused
// slots (no allocation per request), handed to the primary with each stats report. The primary merges
// every worker's into one feed in time order (primary/since-reset.ts), which /cluster serves.
import type { FeedEntry, WorkerIdentity } from './stats.js';

/** Requests kept between two reports; more than this in one report interval keeps the newest. */
export const FEED_CAPACITY = 32;

// The dashboard's own polls and page, scrapes and health checks would drown what the room does (two
// polls a second per open dashboard), and a reset must leave the counts at 0, not 1.
const UNCOUNTED_PATHS: ReadonlySet<string> = new Set(['/', '/cluster', '/metrics', '/healthz']);

/** Left out of the feed and the request count: introspection, and the instructor's admin routes. */
export const isUncounted = (path: string): boolean => UNCOUNTED_PATHS.has(path) || path.startsWith('/admin/');

export interface Feed {
  add(method: string, path: string, status: number, remote: string, port: number): void;
  /** The entries since the last take, oldest first, and the ring emptied. */
  take(): FeedEntry[];
}

export const createFeed = (worker: WorkerIdentity, capacity = FEED_CAPACITY): Feed => {
  const slots: FeedEntry[] = Array.from({ length: capacity }, () => ({
    t: 0,
    worker,
    method: '',
    path: '',
    status: 0,
    remote: '',
    port: 0,
  }));
  let next = 0;
  let held = 0;
  return {
    add(method, path, status, remote, port) {
      const slot = slots[next] as FeedEntry;
      slot.t = Date.now();
      slot.method = method;
      slot.path = path;
      slot.status = status;
      slot.remote = remote;
      slot.port = port;
      next = (next + 1) % capacity;
      if (held < capacity) held += 1;
    },
    take() {
      const taken: FeedEntry[] = [];
      for (let index = held; index > 0; index -= 1) {
        taken.push({ ...(slots[(next - index + capacity) % capacity] as FeedEntry) });
      }
      held = 0;
      return taken;
    },
  };
};
