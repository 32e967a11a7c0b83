// The floor the lab is measured against: a bare node:http cluster, no framework. One file is both
// sides (as Node's lib/cluster.js picks one): the primary forks and logs a ready event like the lab's;
// each worker answers `/counter` from a module variable with the lab's JSON and headers.
// Run: node dist/tools/bench/baseline-server.js --workers 2 --port 0
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const KILL_AFTER_MS = 5000;

const serveWorker = (): void => {
  const id = cluster.worker?.id ?? 0;
  const worker = { id, pid: process.pid };
  let count = 0;
  const notFound = JSON.stringify({ error: 'E_NOT_FOUND', message: 'The baseline only answers GET /counter.' });
  const server = createServer((request, response) => {
    const found = request.method === 'GET' && request.url === '/counter';
    if (found) count += 1;
    const body = found ? JSON.stringify({ current_count: count, strategy: 'local', worker }) : notFound;
    response.writeHead(found ? 200 : 404, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-worker-id': String(id),
      'x-worker-pid': String(process.pid),
    });
    response.end(body);
  });
  const port = Number(process.env.BASELINE_PORT ?? '0');
  server.listen(port, '127.0.0.1');
  // The primary disconnects us on shutdown: stop accepting; node:cluster exits once the server is closed.
  process.on('SIGINT', () => server.close());
  process.on('SIGTERM', () => server.close());
};

const runPrimary = (): void => {
  const { values } = parseArgs({ options: { workers: { type: 'string' }, port: { type: 'string' } } });
  const workers = Number(values.workers ?? '2');
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(workers) || workers < 1 || workers > 64 || !Number.isInteger(port) || port < 0) {
    process.stderr.write('baseline: expected --workers 1..64 and --port 0..65535\n');
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
    process.stdout.write(`baseline: ${workers} workers listening on ${url}, ready in ${readyMs} ms\n`);
    // The same ready event as the lab's, so that one reader starts both.
    process.stderr.write(`${JSON.stringify({ event: 'ready', url, ready_ms: readyMs, workers: all })}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`baseline: worker ${worker.id} died (${signal ?? code}); stopping\n`);
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
  for (let index = 0; index < workers; index += 1) cluster.fork({ BASELINE_PORT: String(port) });
};

if (cluster.isPrimary) runPrimary();
else serveWorker();
