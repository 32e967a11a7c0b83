// The framework floor: the smallest Hono app on @hono/node-server that answers GET /counter with the
// lab's /counter/local body and headers, and GET /user/lru/:id with its warm /user/lru/:id answer,
// under the same node:cluster. What the lab costs beyond this
// is the lab's own; what this costs beyond the bare baseline is Hono's and its adapter's.
// Run: node dist/tools/bench/hono-floor.js --workers 2 --port 0
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import {
  closeOnSignal,
  FLOOR_USER_PREFIX,
  floorIdentity,
  floorPort,
  floorUser,
  runFloorPrimary,
} from './floor-cluster.js';

const serveWorker = (): void => {
  const { worker, headers } = floorIdentity();
  let count = 0;
  const app = new Hono();
  app.get('/counter', (c) => {
    count += 1;
    return c.json({ current_count: count, strategy: 'local', worker }, 200, headers);
  });
  // The reference's LRUCache(maxsize=10), filled on a miss (the floor has no database to wait for).
  const users = new LRUCache<number, ReturnType<typeof floorUser>>({ max: 10 });
  app.get(`${FLOOR_USER_PREFIX}:id`, (c) => {
    const raw = c.req.param('id');
    if (!/^\d{1,16}$/.test(raw)) return c.json({ error: 'E_BAD_PARAM' }, 400, headers);
    const id = Number(raw);
    let user = users.get(id);
    if (user === undefined) {
      user = floorUser(id);
      users.set(id, user);
    }
    return c.json({ source: 'lru_cache', data: user, worker }, 200, headers);
  });
  const server = serve({ fetch: app.fetch, port: floorPort(), hostname: '127.0.0.1' });
  closeOnSignal(server);
};

if (cluster.isPrimary) runFloorPrimary('hono floor');
else serveWorker();
