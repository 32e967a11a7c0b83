// POST /admin/crash, /admin/reset and /admin/reload: off unless an admin token is configured (then
// they do not exist: 404), and behind `Authorization: Bearer <token>` when it is (401 otherwise, for
// a missing, malformed or wrong token alike). Every POST attempt is put to the primary, which counts
// failures per client address for the whole cluster and blocks an address that guesses (429).
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { AdminAttempt, AdminVerdict, ReloadResult, ResetResult } from './ipc/protocol.js';
import type { WorkerIdentity } from './stats.js';

export interface AdminOptions {
  token: string;
  /** Answer, then exit with code 1: the room sees this worker's memory vanish. */
  crash: () => void;
  /** Zero every worker's counters and the IPC one; the file and Redis ones only when `shared`. */
  reset: (shared: boolean) => Promise<ResetResult>;
  /** Start a rolling restart. */
  reload: () => Promise<ReloadResult>;
  /** Put an attempt to the primary's cluster-wide tally of failures (admin-guard.ts). */
  attempt: (attempt: AdminAttempt) => Promise<AdminVerdict>;
}

const unauthorized = (message: string) => ({ error: 'E_UNAUTHORIZED', message });

const ADMIN_PATHS = new Set(['/admin/crash', '/admin/reset', '/admin/reload']);

/** The client's address as the socket says; `unknown` outside a node server (in-process tests). */
const clientAddress = (c: Context): string => {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
};

export const registerAdminRoutes = (app: Hono, admin: AdminOptions, worker: WorkerIdentity): void => {
  app.use('/admin/*', async (c, next) => {
    // Only POST routes live here: any other method is a 405 (notFound), with no token checked or
    // counted — and HEAD in particular changes nothing and tells nothing about a token.
    if (c.req.method !== 'POST') return next();
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    // Hono's comparison hashes both sides first: equal time for equal and unequal tokens.
    const ok = presented !== undefined && (await timingSafeEqual(admin.token, presented));
    // The log names the route, never what a client put in the path (it is the client's text).
    const path = ADMIN_PATHS.has(c.req.path) ? c.req.path : '/admin/*';
    const { verdict, retryAfterS } = await admin.attempt({ address: clientAddress(c), ok, path });
    if (verdict === 'blocked') {
      return c.json(
        {
          error: 'E_TOO_MANY_ATTEMPTS',
          message: `Too many failed admin attempts from your address; every attempt is refused for ${retryAfterS} s more.`,
        },
        429,
        { 'retry-after': String(retryAfterS) },
      );
    }
    if (verdict !== 'allowed') {
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
