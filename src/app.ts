import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type AdminOptions, registerAdminRoutes } from './admin.js';
import { type Lookup, readThrough } from './caches/cache.js';
import { type Guard, type GuardRole, parseGuard } from './caches/stampede.js';
import type { Counter, CounterAnswer } from './counters/strategy.js';
import { DASHBOARD_CSP_HEADER, renderDashboard } from './dashboard/page.js';
import { AppError, type ErrorCode, echo, isAppError } from './errors.js';
import type { CounterTally, Lab } from './lab.js';
import { checkRedis } from './redis/client.js';
import { routeRegex } from './route-pattern.js';
import { StaticFirstRouter } from './static-first-router.js';
import type { ClusterStats } from './stats.js';

export interface AppOptions {
  lab: Lab;
  /** Every live worker's stats, gathered by the primary. */
  clusterStats: () => Promise<ClusterStats>;
  /** Prometheus text for the whole cluster, aggregated by the primary. */
  metrics: () => Promise<{ text: string; contentType: string }>;
  /** The admin routes; null (the default) leaves them out entirely. */
  admin?: AdminOptions | null;
  /** `draining` once a signal came: /healthz answers 503 so a load balancer stops sending. @default () => 'ok' */
  health?: () => Health;
}

export type Health = 'ok' | 'draining';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  E_BAD_PARAM: 400,
  E_NOT_FOUND: 404,
  // Asked for something this cluster will not do (stop a Redis it did not start).
  E_CONFLICT: 409,
  E_IPC_TIMEOUT: 503,
  E_LOCK_TIMEOUT: 503,
  E_LOCK_LOST: 503,
  E_DISK_FULL: 503,
  E_DATA_DIR_GONE: 503,
  E_STORAGE: 503,
  E_REDIS_DOWN: 503,
  E_REDIS_DISABLED: 503,
  E_REDIS_OOM: 503,
  // Redis answered, with an error (a wrong type under a lab key): an upstream's error, not ours.
  E_REDIS_REPLY: 502,
  // The count exists, but past 2^53 − 1 a JSON number would round it: refused, not served wrong.
  E_COUNTER_OVERFLOW: 409,
  // An optimistic transaction lost every round: nothing was written, and trying again may succeed.
  E_CONTENTION: 503,
  E_CORRUPT_STATE: 500,
};

/**
 * For a 405's `allow` header: which methods some route answers at a path. Built once, on the first
 * unmatched request (every route is registered by then), not per request.
 */
const methodsByPath = (app: Hono): ((path: string) => string[]) => {
  let table: { regex: RegExp; method: string }[] | undefined;
  return (path) => {
    table ??= app.routes
      .filter((route) => route.method !== 'ALL')
      .map((route) => ({ regex: routeRegex(route.path), method: route.method }));
    const methods = new Set(table.filter(({ regex }) => regex.test(path)).map(({ method }) => method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
};

// Ids are non-negative integers that survive a round trip through a JS number.
const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Parse a path id strictly: digits only, no sign, no exponent, no spaces, at most MAX_SAFE_INTEGER. */
export const parseId = (raw: string): number => {
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > MAX_ID) {
    throw new AppError(
      'E_BAD_PARAM',
      `Expected \`id\` to be an integer from 0 to ${MAX_ID}, got \`${echo(JSON.stringify(raw).slice(1, -1))}\`.`,
    );
  }
  return value;
};

/**
 * HEAD is safe (RFC 9110): it must change nothing. Hono answers it with the GET handler, and the
 * counter and cache routes count, fill caches and call the database on GET, so on HEAD they run
 * nothing and answer what GET would in status and type, as far as that is known without running them.
 */
const isHead = (c: Context): boolean => c.req.method === 'HEAD';
const headAnswer = (c: Context, status: 200 | 503 = 200): Response =>
  c.body(null, status, { 'content-type': 'application/json' });

/** The Hono routes of one worker. No listen() and no process globals: what it needs comes in `options`. */
export const createApp = ({ lab, clusterStats, metrics, admin = null, health = () => 'ok' }: AppOptions): Hono => {
  const app = new Hono({ router: new StaticFirstRouter() });
  const worker = lab.identity;
  const { tallies } = lab;
  const needsRedis = new Set(lab.strategies.filter(({ scope }) => scope === 'fleet').map(({ name }) => name));

  // The counter routes are the ones the benchmark holds to its floor: a strategy that can answer at
  // once (incrementNow) is answered without any promise, which lets the node adapter take its fast path.
  const answer = (
    c: Context,
    counter: Counter,
    tally: CounterTally,
    current_count: number,
    extra?: CounterAnswer['extra'],
  ): Response => {
    // Since the reset: the answers and the largest of them (what a client would believe).
    tally.increments += 1;
    if (current_count > tally.maxAnswer) tally.maxAnswer = current_count;
    // The common answer is built without a spread: an object literal of known shape.
    return c.json(
      extra === undefined
        ? { current_count, strategy: counter.name, worker }
        : { current_count, strategy: counter.name, worker, ...extra },
    );
  };
  const count = (c: Context, counter: Counter, tally: CounterTally): Response | Promise<Response> => {
    // GET answers 503 at once when a Redis strategy has no Redis; anything else it would answer 200.
    if (isHead(c)) return headAnswer(c, needsRedis.has(counter.name) && lab.redisStatus() !== 'up' ? 503 : 200);
    if (counter.incrementWithDetails !== undefined) {
      return counter.incrementWithDetails().then(({ value, extra }) => answer(c, counter, tally, value, extra));
    }
    // The answer-at-once path allocates no closure.
    const now = counter.incrementNow?.();
    return now === undefined
      ? counter.increment().then((value) => answer(c, counter, tally, value))
      : answer(c, counter, tally, now);
  };
  const tallyOf = (counter: Counter): CounterTally => {
    const tally = tallies.get(counter.name);
    if (tally === undefined) throw new Error(`No tally for ${counter.name} in the lab.`);
    return tally;
  };
  const defaultTally = tallyOf(lab.defaultCounter);
  app.get('/counter', (c) => count(c, lab.defaultCounter, defaultTally));
  for (const counter of lab.counters.values()) {
    const tally = tallyOf(counter);
    app.get(`/counter/${counter.name}`, (c) => count(c, counter, tally));
  }

  for (const slot of lab.caches.values()) {
    const target = slot.cache.name === 'map' ? lab.defaultCache : slot;
    // The stampede guards stand in front of the Redis cache, wherever it answers.
    const guarded = target.cache.name === 'redis';
    app.get(`${slot.cache.path}/:id`, (c): Response | Promise<Response> => {
      const respond = ({ source, data, bypassed }: Lookup, guard?: { mode: Guard; role: GuardRole }): Response => {
        if (bypassed) c.header('x-cache-bypassed', 'redis down');
        return c.json(guard === undefined ? { source, data, worker } : { source, data, worker, guard });
      };
      const id = parseId(c.req.param('id'));
      const guard = guarded ? parseGuard(c.req.query('guard')) : 'none';
      // A bad id is the same 400 as on GET; a good one a 200 with no lookup: no hit, no miss, no fill.
      if (isHead(c)) return headAnswer(c);
      if (guard !== 'none') {
        return lab.stampede.lookup(id, guard).then(({ lookup, role }) => respond(lookup, { mode: guard, role }));
      }
      const lookup = readThrough(target.cache, target.counts, lab.db, id);
      // A hit in memory is answered in this tick; only Redis and the database need a promise.
      return lookup instanceof Promise ? lookup.then(respond) : respond(lookup);
    });
  }

  // The reference's mistake, kept on purpose: a synchronous wait inside a handler. Nothing else this
  // worker holds (its other connections, the primary's heartbeat) is served until it returns.
  app.get('/user/blocking/:id', (c) => {
    const id = parseId(c.req.param('id'));
    if (isHead(c)) return headAnswer(c);
    return c.json({ source: 'database', data: lab.db.fetchUserBlocking(id), worker });
  });

  app.get('/', (c) => c.html(renderDashboard(worker), 200, { 'content-security-policy': DASHBOARD_CSP_HEADER }));
  app.get('/stats', (c) => c.json(lab.stats()));
  app.get('/cluster', async (c) => c.json({ ...(await clusterStats()), served_by: worker }));
  app.get('/metrics', async (c) => {
    const { text, contentType } = await metrics();
    return c.body(text, 200, { 'content-type': contentType });
  });
  if (admin !== null) registerAdminRoutes(app, admin, worker);
  // Redis is asked (a bounded PING), not assumed: a stopped Redis keeps its connection `ready`. Only
  // a shutdown fails the check (503 while the worker still serves): Redis down must not take every host out.
  app.get('/healthz', async (c) => {
    const status = health();
    return c.json({ status, worker, redis: await checkRedis(lab.redis) }, status === 'ok' ? 200 : 503);
  });

  const allowedMethods = methodsByPath(app);
  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    if (allow.length > 0) {
      c.header('allow', allow.join(', '));
      return c.json(
        { error: 'E_METHOD_NOT_ALLOWED', message: `${c.req.method} is not allowed here; use ${allow.join(' or ')}.` },
        405,
      );
    }
    return c.json({ error: 'E_NOT_FOUND', message: `No route for ${c.req.method} ${echo(c.req.path, 200)}.` }, 404);
  });
  app.onError((error, c) => {
    // Hono's own (bearerAuth's 401) carry their response.
    if (error instanceof HTTPException) return error.getResponse();
    if (isAppError(error)) {
      return c.json({ error: error.code, message: error.message }, STATUS[error.code] ?? 500);
    }
    console.error(`worker ${worker.id}: ${c.req.method} ${c.req.path} failed:`, error);
    return c.json({ error: 'E_INTERNAL', message: 'Internal error; the worker logged it.' }, 500);
  });
  return app;
};
