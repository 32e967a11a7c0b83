// The primary half of the bench's two floors (baseline-server.ts: bare node:http; hono-floor.ts: a
// minimal Hono app): fork N workers, log a ready event like the lab's, stop them on SIGINT/SIGTERM.
// Each floor's worker answers GET /counter with what the lab's /counter/local answers, and GET
// /user/lru/:id with what its warm /user/lru/:id answers: the same bodies and the same headers, so
// that the only difference left is the code in between.
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

const KILL_AFTER_MS = 5000;

/** What the lab's /counter/local says of its worker, and the headers every lab response carries. */
export const floorIdentity = () => {
  const id = cluster.worker?.id ?? 0;
  // The lab's default instance: the machine's hostname, cut to what an instance name may hold.
  const instance =
    (process.env.LAB_INSTANCE ?? hostname()).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'localhost';
  const worker = { instance, id, pid: process.pid };
  const headers = {
    'x-worker-instance': instance,
    'x-worker-id': String(id),
    'x-worker-pid': String(process.pid),
    'x-content-type-options': 'nosniff',
  };
  return { worker, headers };
};

/** The lab's simulated user, as its database returns it (src/caches/database.ts). */
export const floorUser = (id: number) => ({ user_id: id, name: `User_${id}` });

/** The floors' user route: the lab's warm `/user/lru/:id` answer, `source: "lru_cache"`. */
export const FLOOR_USER_PREFIX = '/user/lru/';

/** The port the primary asked for, as each worker finds it. */
export const floorPort = (): number => Number(process.env.FLOOR_PORT ?? '0');

/** Run as the primary of a floor called `name`; exits 2 on bad arguments. */
export const runFloorPrimary = (name: string): void => {
  const { values } = parseArgs({ options: { workers: { type: 'string' }, port: { type: 'string' } } });
  const workers = Number(values.workers ?? '2');
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64 || !Number.isInteger(port) || port < 0) {
    process.stderr.write(`${name}: expected --workers 1..64 and --port 0..65535\n`);
    process.exitCode = 2;
    return;
  }
  let listening = 0;
  let stopping = false;
  cluster.on('listening', (_worker, address: AddressInfo) => {
    listening += 1;
    if (listening !== workers) return;
    const all = Object.values(cluster.workers ?? {}).map((worker) => ({ id: worker?.id, pid: worker?.process.pid }));
    const url = `http://${address.address}:${address.port}`;
    const readyMs = Math.round(performance.now());
    process.stdout.write(`${name}: ${workers} workers listening on ${url}, ready in ${readyMs} ms\n`);
    // The same ready event as the lab's, so that one reader starts all three.
    process.stderr.write(`${JSON.stringify({ event: 'ready', url, ready_ms: readyMs, workers: all })}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`${name}: worker ${worker.id} died (${signal ?? code}); stopping\n`);
      stop();
    }
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    }, KILL_AFTER_MS);
    cluster.disconnect(() => clearTimeout(timer));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let index = 0; index < workers; index += 1) cluster.fork({ FLOOR_PORT: String(port) });
};

/** A worker stops accepting on a signal; node:cluster exits it once its server is closed. */
export const closeOnSignal = (server: { close(): unknown }): void => {
  process.on('SIGINT', () => server.close());
  process.on('SIGTERM', () => server.close());
};
