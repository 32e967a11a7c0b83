// The dashboard's live feed (the last requests, each with its worker and its connection) and the
// worker table (live workers, busy ones, and the ghosts of those gone since the reset).
export const TABLES_SCRIPT = `
const LOOPBACK = /^(127\\.|::1$|::ffff:127\\.)/;
const connectionOf = (entry) => (LOOPBACK.test(entry.remote) ? '' : entry.remote.replace(/^::ffff:/, '')) + ':' + entry.port;

// Newest first. Requests on one kept-alive connection repeat its port, and always its worker.
const feedList = (data, max) => {
  const entries = (data.feed || []).slice(-max).reverse();
  const keyOf = (e) => e.worker.instance + '/' + e.worker.id + '/' + e.remote + ':' + e.port;
  const uses = new Map();
  for (const e of entries) uses.set(keyOf(e), (uses.get(keyOf(e)) || 0) + 1);
  const connections = new Set(entries.map(keyOf));
  const workers = new Set(entries.map((e) => e.worker.instance + '/' + e.worker.id));
  const summary = entries.length === 0
    ? 'No requests yet since the reset (the dashboard\\u2019s own polls are not listed).'
    : fmt(entries.length) + ' requests, ' + fmt(connections.size) + ' connection' + (connections.size === 1 ? '' : 's') +
      ', ' + fmt(workers.size) + ' worker' + (workers.size === 1 ? '' : 's') +
      ': each connection stays on one worker.';
  return el('div', { class: 'feed' },
    el('p', { class: 'feed-summary', 'data-feed-connections': connections.size }, summary),
    // A connection that carried several of these requests is marked (kept alive): always one worker.
    el('ol', {}, entries.map((e) => el('li', { class: (uses.get(keyOf(e)) > 1 ? 'kept ' : '') + colour(e.worker.id),
        'data-feed-worker': e.worker.id, 'data-feed-port': e.port },
      el('span', { class: 'time' }, clock(e.t)), chip(e.worker.id),
      el('span', { class: 'conn' }, 'conn ' + connectionOf(e)),
      el('span', { class: 'path' }, (e.method === 'GET' ? '' : e.method + ' ') + e.path),
      el('span', { class: 'code s' + String(e.status).charAt(0) }, e.status)))));
};

const marks = (w, polledBy) => [
  w.id === pageId ? el('span', { class: 'tag' }, 'page') : null,
  w.id === polledBy ? el('span', { class: 'tag' }, 'poll') : null,
];

const workerTable = (data, controls) => {
  const caches = keysOf(data.workers.map((w) => w.caches));
  const loop = data.workers.some((w) => w.event_loop);
  const polledBy = data.served_by ? data.served_by.id : -1;
  const cacheCells = (c) => caches.map((name) => {
    const s = (c || {})[name];
    if (!s) return el('td', {});
    // bypassed: lookups that skipped a cache that was down (fail open to the database).
    const bypassed = s.bypassed ? el('span', { class: 'miss note' }, fmt(s.bypassed) + ' bypassed') : null;
    // size is null for a cache outside the worker (Redis): there is no per-worker size to show.
    const size = s.size === null || s.size === undefined ? '' : ' \\u00b7 ' + fmt(s.size);
    return el('td', { 'data-cache': name, 'data-size': s.size ?? '', 'data-hits': s.hits, 'data-misses': s.misses },
      fmt(s.hits), ' / ', el('span', { class: 'miss' }, fmt(s.misses)), size, bypassed);
  });
  const loopCell = (w) => (loop ? el('td', {}, w.event_loop ? fmt(w.event_loop.p50_ms) + ' / ' + fmt(w.event_loop.p99_ms) +
    ' / ' + fmt(w.event_loop.max_ms) : '') : null);
  const head = el('tr', {}, el('th', {}, 'worker'), el('th', {}, 'pid'), el('th', {}, 'up (s)'), el('th', {}, 'requests'),
    caches.map((name) => el('th', {}, name + ' cache', el('br', {}), 'hits / misses \\u00b7 size')), el('th', {}, 'db calls'),
    loop ? el('th', {}, 'event loop ms', el('br', {}), 'p50 / p99 / max') : null, controls ? el('th', {}, '') : null);
  const rows = data.workers.map((w) => el('tr', { 'data-worker-row': w.id },
    el('td', {}, chip(w.id), marks(w, polledBy)),
    el('td', {}, w.pid), el('td', {}, fmt(Math.round(w.uptime_s))), el('td', { 'data-requests': w.requests }, fmt(w.requests)),
    cacheCells(w.caches), el('td', { 'data-db-calls': w.db_calls }, fmt(w.db_calls)), loopCell(w),
    controls ? el('td', {}, el('button', { class: 'kill', 'data-kill': w.id, type: 'button', title: 'SIGKILL ' + who(w) }, 'kill -9')) : null));
  const span = caches.length + 3 + (loop ? 1 : 0) + (controls ? 1 : 0);
  for (const w of data.unresponsive || []) {
    rows.push(el('tr', { class: 'busy' }, el('td', {}, chip(w.id)), el('td', {}, w.pid),
      el('td', { colspan: span - 1 }, 'busy: no answer in time')));
  }
  for (const g of (data.ghosts || []).slice().reverse()) {
    const held = Object.entries(g.held || {}).filter(([name, value]) =>
      value && (data.strategies[name] || {}).scope === 'worker').map(([name, value]) => name + ' ' + fmt(value));
    rows.push(el('tr', { class: 'ghost', 'data-ghost-row': g.id },
      el('td', {}, el('span', { class: 'chip gone' }, '\\u2020w' + g.id)), el('td', {}, g.pid),
      el('td', { colspan: span - 1 }, g.exit + (g.reason ? ' (' + g.reason + ')' : '') + ' at ' +
        g.ended_at.slice(11, 19) + ' \\u00b7 ' + fmt(g.requests) + ' requests' +
        (held.length ? ' \\u00b7 took ' + held.join(', ') : ''))));
  }
  const t = data.totals;
  rows.push(el('tr', { class: 'sum' }, el('td', {}, 'all'), el('td', {}), el('td', {}), el('td', {}, fmt(t.requests)),
    cacheCells(t.caches), el('td', {}, fmt(t.db_calls)), loop ? el('td', {}) : null, controls ? el('td', {}) : null));
  return el('table', { class: 'workers' }, el('thead', {}, head), el('tbody', {}, rows));
};

const tile = (label, value, stat, cls) => el('div', { class: 'tile ' + (cls || '') }, el('span', {}, label), el('b', { 'data-stat': stat }, value));

const redisText = (r) => (r.origin === 'none' ? 'none' : r.stopped ? 'stopped' : r.up ? 'up' : 'down');

const tiles = (data) => {
  const state = data.workers[0] ? data.workers[0].state : '?';
  const since = Math.max(0, Math.round((Date.now() - Date.parse(data.since || data.started_at)) / 1000));
  const redis = data.redis || { origin: 'none' };
  return [tile('live workers', data.workers.length, 'workers'), tile('restarts', data.restarts, 'restarts'),
    tile('requests', fmt(data.totals.requests), 'requests'), tile('db calls', fmt(data.totals.db_calls), 'db_calls'),
    tile('--state', state, 'state'), tile('keep-alive', data.keep_alive ? 'on' : 'off', 'keep_alive', data.keep_alive ? 'on' : 'off'),
    tile('Redis', redisText(redis), 'redis', redisText(redis) === 'up' || redis.origin === 'none' ? '' : 'off'),
    tile('since reset', since + ' s', 'since')];
};
`;
