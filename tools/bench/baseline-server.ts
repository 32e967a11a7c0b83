// The platform floor the lab is measured against: a bare node:http cluster, no framework. One file
// is both sides (as Node's lib/cluster.js picks one); each worker answers `/counter` from a module
// variable with the lab's JSON and headers.
// Run: node dist/tools/bench/baseline-server.js --workers 2 --port 0
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { closeOnSignal, floorIdentity, floorPort, runFloorPrimary } from './floor-cluster.js';

const serveWorker = (): void => {
  const { worker, headers } = floorIdentity();
  let count = 0;
  const notFound = JSON.stringify({ error: 'E_NOT_FOUND', message: 'The baseline only answers GET /counter.' });
  const server = createServer((request, response) => {
    const found = request.method === 'GET' && request.url === '/counter';
    if (found) count += 1;
    const body = found ? JSON.stringify({ current_count: count, strategy: 'local', worker }) : notFound;
    response.writeHead(found ? 200 : 404, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    response.end(body);
  });
  server.listen(floorPort(), '127.0.0.1');
  closeOnSignal(server);
};

if (cluster.isPrimary) runFloorPrimary('baseline');
else serveWorker();
