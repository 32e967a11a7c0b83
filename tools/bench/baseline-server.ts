// The platform floor the lab is measured against: a bare node:http cluster, no framework. One file
// is both sides (as Node's lib/cluster.js picks one); each worker answers `/counter` from a module
// variable and `/user/lru/:id` from a Map, with the lab's JSON and headers.
// Run: node dist/tools/bench/baseline-server.js --workers 2 --port 0
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import {
  closeOnSignal,
  FLOOR_USER_PREFIX,
  floorIdentity,
  floorPort,
  floorUser,
  runFloorPrimary,
} from './floor-cluster.js';

/** A user id in a path, as the lab's parseId takes it: digits only. */
const idIn = (path: string): number | null => (/^\d{1,16}$/.test(path) ? Number(path) : null);

const serveWorker = (): void => {
  const { worker, headers } = floorIdentity();
  let count = 0;
  // Ten users at most, as the lab's LRU holds; the floor's requests cycle over five.
  const users = new Map<number, ReturnType<typeof floorUser>>();
  const answer = (method: string | undefined, url: string | undefined): string | null => {
    if (method !== 'GET' || url === undefined) return null;
    if (url === '/counter') {
      count += 1;
      return JSON.stringify({ current_count: count, strategy: 'local', worker });
    }
    const id = url.startsWith(FLOOR_USER_PREFIX) ? idIn(url.slice(FLOOR_USER_PREFIX.length)) : null;
    if (id === null) return null;
    let user = users.get(id);
    if (user === undefined) {
      if (users.size >= 10) users.clear();
      user = floorUser(id);
      users.set(id, user);
    }
    return JSON.stringify({ source: 'lru_cache', data: user, worker });
  };
  const notFound = JSON.stringify({
    error: 'E_NOT_FOUND',
    message: 'The baseline only answers GET /counter and GET /user/lru/:id.',
  });
  const server = createServer((request, response) => {
    const found = answer(request.method, request.url);
    const body = found ?? notFound;
    response.writeHead(found === null ? 404 : 200, {
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
