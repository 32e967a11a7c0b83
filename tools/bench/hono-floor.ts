// The framework floor: the smallest Hono app on @hono/node-server that answers GET /counter with the
// lab's /counter/local body and headers, under the same node:cluster. What the lab costs beyond this
// is the lab's own; what this costs beyond the bare baseline is Hono's and its adapter's.
// Run: node dist/tools/bench/hono-floor.js --workers 2 --port 0
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { closeOnSignal, floorIdentity, floorPort, runFloorPrimary } from './floor-cluster.js';

const serveWorker = (): void => {
  const { worker, headers } = floorIdentity();
  let count = 0;
  const app = new Hono();
  app.get('/counter', (c) => {
    count += 1;
    return c.json({ current_count: count, strategy: 'local', worker }, 200, headers);
  });
  const server = serve({ fetch: app.fetch, port: floorPort(), hostname: '127.0.0.1' });
  closeOnSignal(server);
};

if (cluster.isPrimary) runFloorPrimary('hono floor');
else serveWorker();
