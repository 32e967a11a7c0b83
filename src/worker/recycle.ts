// --max-requests: a worker that has served its share is replaced, as gunicorn's and uvicorn's are,
// so a slow leak never grows past what that many requests can leak. The worker counts and tells the
// primary; the primary decides (src/primary/recycle.ts). So that capacity does not drop, the
// replacement is asked for ahead of the limit, by as many requests as this worker serves in the
// time it took itself to boot (its replacement will take about as long): when the limit is reached
// the replacement is listening already, and this worker drains at once.

/**
 * Where a worker stands with its limit: `soon`, about one boot time before it (start my
 * replacement); `due`, at it (drain me now, unless I am the last worker listening).
 */
export type RecycleStage = 'soon' | 'due';

declare module '../ipc/protocol.js' {
  interface WorkerNotices {
    /** A worker's progress towards its --max-requests. */
    recycle: { stage: RecycleStage; served: number; limit: number };
  }
}

/** Ask this much earlier than the estimate says (boots vary). */
const LEAD_MARGIN = 1.5;
/** Requests over which the serving rate is measured. */
const RATE_WINDOW = 32;
/**
 * Never asked before this share of the limit: at a rate where a worker lives about one boot time,
 * asking earlier would keep a replacement booting beside every worker all the time.
 */
const EARLIEST_SHARE = 0.5;

/** This worker's limit: --max-requests plus a draw of 0 to --max-requests-jitter (both ends included). */
export const drawRequestLimit = (maxRequests: number, jitter: number, random: () => number = Math.random): number =>
  maxRequests + Math.floor(random() * (jitter + 1));

export interface RecycleOptions {
  /** Requests after which this worker is replaced. */
  limit: number;
  /** How long this worker took to boot, in ms: about what its replacement will take. */
  bootMs: () => number;
  /** Tell the primary, once per stage. */
  notify: (body: { stage: RecycleStage; served: number; limit: number }) => void;
  /** @default performance.now */
  now?: () => number;
}

/** Call after each request with the number served so far (1, 2, …). */
export const createRecycleTrigger = ({
  limit,
  bootMs,
  notify,
  now = () => performance.now(),
}: RecycleOptions): ((served: number) => void) => {
  const earliest = Math.ceil(limit * EARLIEST_SHARE);
  const stamps = new Float64Array(RATE_WINDOW);
  let stage: RecycleStage | 'serving' = 'serving';
  const tell = (next: RecycleStage, served: number): void => {
    stage = next;
    notify({ stage: next, served, limit });
  };

  /** Requests this worker will serve while a replacement boots, at its recent rate. */
  const lead = (served: number, at: number): number => {
    const span = Math.min(served, RATE_WINDOW);
    if (span < 2) return 0;
    const oldest = stamps[(served - span + 1) % RATE_WINDOW] ?? at;
    return ((span - 1) / Math.max(at - oldest, 1)) * bootMs() * LEAD_MARGIN;
  };

  return (served) => {
    const at = now();
    stamps[served % RATE_WINDOW] = at;
    if (stage === 'serving' && served >= earliest && served < limit && limit - served <= lead(served, at)) {
      tell('soon', served);
    }
    if (stage !== 'due' && served >= limit) tell('due', served);
  };
};
