// The fleet's ready event (with --log-format json, one line on stderr), and the client side of a
// fleet for the demo, the bench and the tests: start `node dist/tools/fleet.js` and wait for that
// line, then talk to its control socket.
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ProcessGroup } from '../lib/processes.js';
import { createLineSplitter } from '../lib/ready.js';
import type { Balance } from './args.js';
import type { HostAction, HostActionResult } from './server.js';
import type { FleetView } from './view.js';

export const FLEET_CLI = fileURLToPath(new URL('../fleet.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const TAIL_CHARS = 4000;

export interface FleetReadyEvent {
  event: 'ready';
  /** The balancer: every request of the fleet goes here. */
  url: string;
  ready_ms: number;
  balance: Balance;
  /** The fleet's own server (POST /fleet/hosts/<name>/<action>, /fleet/baseline), mode 600. */
  control_socket: string;
  haproxy: { pid: number; version: string; stats_socket: string; config: string };
  redis: { origin: 'url' | 'private' | 'none'; url: string | null; pid: number | null; password_file: string | null };
  hosts: {
    instance: string;
    url: string;
    primary_pid: number;
    data_dir: string;
    workers: { id: number; pid: number }[];
  }[];
  /** Every worker of every host, as the lab's ready event lists its own (tools that read one read both). */
  workers: { instance: string; id: number; pid: number }[];
}

/** The fleet's ready event in one line of output (a lab's ready event has no `hosts`). */
export const fleetReadyEventOf = (line: string): FleetReadyEvent | undefined => {
  if (!line.startsWith('{') || !line.includes('"ready"') || !line.includes('"hosts"')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<FleetReadyEvent>;
    return parsed.event === 'ready' &&
      typeof parsed.url === 'string' &&
      Array.isArray(parsed.hosts) &&
      typeof parsed.control_socket === 'string'
      ? (parsed as FleetReadyEvent)
      : undefined;
  } catch {
    return undefined;
  }
};

/** Every pid a ready event names: hosts' primaries and workers, HAProxy, a private redis-server. */
export const pidsOfFleet = (ready: FleetReadyEvent): number[] => [
  ...ready.hosts.flatMap((host) => [host.primary_pid, ...host.workers.map((worker) => worker.pid)]),
  ready.haproxy.pid,
  ...(ready.redis.pid === null ? [] : [ready.redis.pid]),
];

export interface RunningFleet {
  child: ChildProcess;
  ready: FleetReadyEvent;
  /** Its stderr so far (the fleet's log, hosts' and HAProxy's lines included), last few KB. */
  stderrTail(): string;
  /** Resolves with the first line of its log matching `pattern`, from now on or already seen. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface StartFleetProcessOptions {
  group: ProcessGroup;
  /** Fleet options (`--log-format json` and `--port 0` are added unless given). */
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The built entry point. @default dist/tools/fleet.js beside this module */
  cli?: string;
}

/** Start the fleet as its own process and wait for its ready event; its pids are adopted by `group`. */
export const startFleetProcess = ({
  group,
  args,
  env,
  cli = FLEET_CLI,
}: StartFleetProcessOptions): Promise<RunningFleet> =>
  new Promise((resolve, reject) => {
    const defaults = [
      ...(args.includes('--log-format') ? [] : ['--log-format', 'json']),
      ...(args.includes('--port') ? [] : ['--port', '0']),
    ];
    const split = args.indexOf('--');
    const own = split === -1 ? [...args] : args.slice(0, split);
    const rest = split === -1 ? [] : args.slice(split);
    const child = group.spawn(process.execPath, [cli, ...defaults, ...own, ...rest], { env: env ?? process.env });
    let err = '';
    let settled = false;
    const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
    const lines: string[] = [];
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void group.stop(child).then(() => reject(new Error(`fleet: ${message}\n${err.slice(-TAIL_CHARS).trim()}`)));
    };
    const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onLine = createLineSplitter((line) => {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
      for (const watcher of [...watchers]) {
        if (watcher.pattern.test(line)) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.resolve(line);
        }
      }
      const ready = settled ? undefined : fleetReadyEventOf(line);
      if (ready === undefined) return;
      settled = true;
      clearTimeout(timer);
      group.adopt(child, pidsOfFleet(ready));
      resolve({
        child,
        ready,
        stderrTail: () => err.slice(-TAIL_CHARS),
        waitForLog: (pattern, timeoutMs = 20_000) =>
          new Promise((found, missed) => {
            const seen = lines.find((candidate) => pattern.test(candidate));
            if (seen !== undefined) {
              found(seen);
              return;
            }
            const watcher = {
              pattern,
              resolve: (line: string) => {
                clearTimeout(guard);
                found(line);
              },
            };
            const guard = setTimeout(() => {
              watchers.splice(watchers.indexOf(watcher), 1);
              missed(new Error(`No fleet log line matching ${pattern} within ${timeoutMs} ms.`));
            }, timeoutMs);
            watchers.push(watcher);
          }),
      });
    });
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      err = (err + chunk).slice(-TAIL_CHARS * 4);
      onLine(chunk);
    });
    child.once('exit', (code, signal) => fail(`exited before it was ready (${signal ?? `code ${code}`})`));
    child.once('error', (error) => fail(error.message));
  });

/** One request to the fleet's control socket; the JSON answer and its status. */
export const controlRequest = <T>(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs = 30_000,
): Promise<{ status: number; body: T }> =>
  new Promise((resolve, reject) => {
    const call = request({ socketPath, path, method, timeout: timeoutMs }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (error) {
          reject(
            new Error(`${method} ${path}: not JSON (${response.statusCode}): ${text.slice(0, 200)}`, { cause: error }),
          );
        }
      });
    });
    call.on('timeout', () => call.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    call.on('error', reject);
    call.end();
  });

/** drain / ready / maint (HAProxy) or stop / kill / start / restart (the host's processes). */
export const hostAction = async (
  socketPath: string,
  instance: string,
  action: HostAction,
): Promise<HostActionResult> => {
  const { status, body } = await controlRequest<HostActionResult & { message?: string }>(
    socketPath,
    'POST',
    `/fleet/hosts/${instance}/${action}`,
  );
  if (status !== 200) throw new Error(`${action} ${instance}: ${status} ${body.message ?? ''}`);
  return body;
};

/** GET /fleet on the control socket (the same view the balancer serves). */
export const readFleetView = async (socketPath: string): Promise<FleetView> => {
  const { status, body } = await controlRequest<FleetView>(socketPath, 'GET', '/fleet');
  if (status !== 200) throw new Error(`/fleet answered ${status}`);
  return body;
};
