// POST /admin/crash, /admin/reset and /admin/reload: off unless an admin token is configured (then
// they do not exist: 404), and behind `Authorization: Bearer <token>` when it is (401 otherwise, for
// a missing, malformed or wrong token alike).
import type { Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { ReloadResult, ResetResult } from './ipc/protocol.js';
import type { WorkerIdentity } from './stats.js';

export interface AdminOptions {
  token: string;
  /** Answer, then exit with code 1: the room sees this worker's memory vanish. */
  crash: () => void;
  /** Zero every worker's counters and the IPC one; the file and Redis ones only when `shared`. */
  reset: (shared: boolean) => Promise<ResetResult>;
  /** Start a rolling restart. */
  reload: () => Promise<ReloadResult>;
}

const unauthorized = (message: string) => ({ error: 'E_UNAUTHORIZED', message });

export const registerAdminRoutes = (app: Hono, admin: AdminOptions, worker: WorkerIdentity): void => {
  app.use('/admin/*', async (c, next) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    // Hono's comparison hashes both sides first: equal time for equal and unequal tokens.
    if (presented === undefined || !(await timingSafeEqual(admin.token, presented))) {
      const message =
        presented === undefined ? 'Send Authorization: Bearer <admin token>.' : 'That is not the admin token.';
      return c.json(unauthorized(message), 401, { 'www-authenticate': 'Bearer realm="cluster-state-lab admin"' });
    }
    await next();
  });
  app.post('/admin/crash', (c) => {
    admin.crash();
    return c.json({ crashing: true, worker, message: `Worker ${worker.id} exits now; the primary replaces it.` });
  });
  app.post('/admin/reset', async (c) => {
    const shared = c.req.query('shared') === '1';
    return c.json({ reset: await admin.reset(shared), worker });
  });
  app.post('/admin/reload', async (c) => {
    const result = await admin.reload();
    return c.json({ reload: result, worker }, result.started ? 202 : 409);
  });
};
