// The lab's machine-readable ready event: with `--log-format json` its primary logs one line with
// `"event": "ready"`, the URL it serves and every worker's id and pid. Tools and tests wait for that
// line instead of reading the human banner.

export interface ReadyEvent {
  /** The cluster's name (`--instance`); absent from a server that is not the lab. */
  instance?: string;
  url: string;
  /** Time from the primary's start to the last worker listening. */
  ready_ms: number;
  workers: { id: number; pid: number }[];
  /** Where Redis came from (`url`, `private`, `none`) and its URL, password redacted. */
  redis?: { origin: string; url: string | null };
  /** Who hands out connections: `rr` (the primary, in turn) or `os` (the kernel). */
  schedule?: string;
}

const isReadyEvent = (value: unknown): value is ReadyEvent => {
  const event = value as Partial<ReadyEvent> & { event?: unknown };
  return (
    event?.event === 'ready' &&
    typeof event.url === 'string' &&
    typeof event.ready_ms === 'number' &&
    Array.isArray(event.workers) &&
    event.workers.every((worker) => Number.isInteger(worker?.id) && Number.isInteger(worker?.pid) && worker.pid > 0)
  );
};

/** The ready event in one line of output, or undefined when the line is anything else. */
export const readyEventOf = (line: string): ReadyEvent | undefined => {
  if (!line.startsWith('{') || !line.includes('"ready"')) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return isReadyEvent(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** Feed chunks of a stream, get whole lines (a line may arrive in pieces). */
export const createLineSplitter = (onLine: (line: string) => void) => {
  let partial = '';
  return (chunk: string): void => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
};
