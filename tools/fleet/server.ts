// The fleet's own HTTP server, on a unix socket in the fleet's 0700 directory. HAProxy forwards
// GET /fleet and GET /fleet/dashboard to it (the view, for everyone the balancer serves); the control
// routes (POST) are reached on the socket alone, so only the fleet's user can drain, stop, kill or
// restart a host — the file system is the access check, as for HAProxy's own stats socket.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { FLEET_PAGE_CSP, FLEET_PAGE_HTML } from './page.js';
import type { FleetView } from './view.js';

export const HOST_ACTIONS = ['drain', 'ready', 'maint', 'stop', 'kill', 'start', 'restart'] as const;
export type HostAction = (typeof HOST_ACTIONS)[number];

export interface HostActionResult {
  instance: string;
  action: HostAction;
  /** The host's state after the action, and its primary's pid when it runs. */
  state: string;
  primary_pid: number | null;
  /** How long the action took (a restart: until every worker listens). */
  ms: number;
}

export interface FleetControl {
  view(): Promise<FleetView>;
  /** From now on, verdicts count from the numbers as they are now. */
  rebaseline(): Promise<{ baseline_at: string }>;
  hostAction(instance: string, action: HostAction): Promise<HostActionResult>;
  hostNames(): readonly string[];
}

const isAction = (value: string): value is HostAction => (HOST_ACTIONS as readonly string[]).includes(value);

export const createFleetApp = (control: FleetControl): Hono => {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
  });
  app.get('/fleet', async (c) => c.json(await control.view()));
  app.get('/fleet/dashboard', (c) => c.html(FLEET_PAGE_HTML, 200, { 'content-security-policy': FLEET_PAGE_CSP }));
  app.post('/fleet/baseline', async (c) => c.json(await control.rebaseline()));
  app.post('/fleet/hosts/:instance/:action', async (c) => {
    const { instance, action } = c.req.param();
    if (!control.hostNames().includes(instance)) {
      return c.json(
        { error: 'E_NOT_FOUND', message: `No host ${instance}; the hosts are ${control.hostNames().join(', ')}.` },
        404,
      );
    }
    if (!isAction(action)) {
      return c.json(
        { error: 'E_BAD_PARAM', message: `Unknown action ${action}; one of ${HOST_ACTIONS.join(', ')}.` },
        400,
      );
    }
    try {
      return c.json(await control.hostAction(instance, action));
    } catch (error) {
      return c.json({ error: 'E_ACTION', message: error instanceof Error ? error.message : String(error) }, 409);
    }
  });
  app.notFound((c) => c.json({ error: 'E_NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}.` }, 404));
  app.onError((error, c) => c.json({ error: 'E_INTERNAL', message: error.message }, 500));
  return app;
};

/** Listen on `socketPath` (mode 600); resolves to the server, closed by `server.close()`. */
export const listenFleetServer = async (control: FleetControl, socketPath: string): Promise<Server> => {
  await rm(socketPath, { force: true });
  const server = createServer(getRequestListener(createFleetApp(control).fetch, { hostname: 'localhost' }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return server;
};
