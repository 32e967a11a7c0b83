// The instructor's routes — POST /admin/crash, /admin/reset, /admin/reload, /admin/kill,
// /admin/redis/stop, /admin/redis/start, /admin/keep-alive — are off unless an admin token is
// configured (then they do not exist: 404), and behind `Authorization: Bearer <token>` when it is
// (401 otherwise, for a missing, malformed or wrong token alike). Every POST attempt is put to the
// primary, which counts failures per client address for the whole cluster and blocks an address
// that guesses (429). Parameters travel in the query (no route reads a body), never the token.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { AppError, echo } from './errors.js';
import type { AdminAttempt, AdminVerdict, KeepAliveResult, ReloadResult, ResetResult } from './ipc/protocol.js';
import type { RedisView, WorkerIdentity } from './stats.js';

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
  /** Have the primary SIGKILL worker `id`: a death, as `kill -9` is, not a drain. */
  kill: (id: number) => Promise<WorkerIdentity>;
  /** Stop or start the private redis-server (the primary refuses for a --redis-url one). */
  redis: (action: 'stop' | 'start') => Promise<RedisView>;
  /** Switch keep-alive for every worker. */
  keepAlive: (on: boolean) => Promise<KeepAliveResult>;
}

const unauthorized = (message: string) => ({ error: 'E_UNAUTHORIZED', message });

const ADMIN_PATHS = new Set([
  '/admin/crash',
  '/admin/reset',
  '/admin/reload',
  '/admin/kill',
  '/admin/redis/stop',
  '/admin/redis/start',
  '/admin/keep-alive',
]);

const MAX_WORKER_ID = 1_000_000_000;

/** `?worker=<id>`: the worker to kill, a positive integer. */
const parseWorkerId = (raw: string | undefined): number => {
  const value = raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 1 && value <= MAX_WORKER_ID)) {
    throw new AppError(
      'E_BAD_PARAM',
      `Expected \`worker\` to be a worker id from /cluster (an integer from 1), got \`${echo(raw ?? '')}\`.`,
    );
  }
  return value;
};

/** `?on=1|0` (or true/false, on/off). */
const parseSwitch = (raw: string | undefined): boolean => {
  if (raw === '1' || raw === 'true' || raw === 'on') return true;
  if (raw === '0' || raw === 'false' || raw === 'off') return false;
  throw new AppError('E_BAD_PARAM', `Expected \`on\` to be 1 or 0, got \`${echo(raw ?? '')}\`.`);
};

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
  app.post('/admin/kill', async (c) => {
    const killed = await admin.kill(parseWorkerId(c.req.query('worker')));
    return c.json({ killed, signal: 'SIGKILL', worker });
  });
  app.post('/admin/redis/stop', async (c) => c.json({ redis: await admin.redis('stop'), worker }));
  app.post('/admin/redis/start', async (c) => c.json({ redis: await admin.redis('start'), worker }));
  app.post('/admin/keep-alive', async (c) => {
    return c.json({ ...(await admin.keepAlive(parseSwitch(c.req.query('on')))), worker });
  });
};
