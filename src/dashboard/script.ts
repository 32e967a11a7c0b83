// The dashboard's browser code, inlined into the page as plain ES2020 (no build step, nothing fetched
// but /cluster). It polls every POLL_MS and redraws from the answer alone, so a killed worker simply
// drops out and its replacement appears. Strategies and caches are read from the keys present, so a
// new one shows up with no change here. Kept free of backticks: it lives in a template literal.
export const DASHBOARD_SCRIPT = `
'use strict';
const POLL_MS = 500;
const TIMEOUT_MS = 2000;
const $ = (id) => document.getElementById(id);
const pageId = Number($('page-worker').dataset.workerId);

// el('div', {class: 'row', 'data-x': 1}, child, 'text', ...): attributes, then children.
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
};
const colour = (id) => 'w' + (((id - 1) % 7) + 7) % 7;
const fmt = (n) => (n === null || n === undefined ? '\\u2014' : Number(n).toLocaleString('en-US'));
const keysOf = (objects) => [...new Set(objects.flatMap((o) => Object.keys(o || {})))];
const who = (w) => 'worker ' + w.id + ' (pid ' + w.pid + ')';

const bar = (cls, label, value, scale, attrs) => {
  const fill = el('div', { class: 'fill' });
  fill.style.width = (scale > 0 && value ? (100 * value) / scale : 0) + '%';
  return el('div', { class: 'row ' + cls, ...attrs }, el('span', { class: 'label' }, label),
    el('div', { class: 'track' }, fill), el('span', { class: 'value' }, fmt(value)));
};

// Per-worker strategies (local, unsafe): each bar is that worker's own count. Shared ones (ipc, file,
// redis, …): each bar is the worker's share of the increments, next to the one shared value.
const counterCard = (name, data) => {
  const view = (data.strategies || {})[name] || { scope: 'worker' };
  const shared = view.scope !== 'worker';
  const values = data.workers.map((w) => ((shared ? w.increments : w.counters) || {})[name] ?? null);
  const sum = values.reduce((a, v) => a + (v || 0), 0);
  const largest = Math.max(0, ...values.map((v) => v || 0));
  const made = (data.totals.increments || {})[name] || 0;
  const one = shared ? view.value : sum;
  const scale = Math.max(sum, one || 0, 1);
  const rows = data.workers.map((w, i) =>
    bar(colour(w.id), 'w' + w.id, values[i], scale, {
      'data-strategy': name, 'data-worker-id': w.id, 'data-value': values[i] ?? '',
    }));
  rows.push(bar('total', shared ? 'shared' : 'sum', one, scale, { 'data-strategy-total': name, 'data-value': one ?? '' }));
  let lesson = '';
  let bad = false;
  if (shared && one === null) {
    lesson = 'No value: the store is unreachable (is Redis running?).';
    bad = true;
  } else if (sum === 0 && !one) {
    lesson = 'No requests yet: try GET /counter/' + name;
  } else if (!shared) {
    lesson = 'Sum of bars ' + fmt(sum) + ', largest bar ' + fmt(largest) + ': ' +
      (data.workers.length > 1 ? 'no worker knows the total.' : 'one worker sees everything.');
    if (made > sum) {
      lesson += ' ' + fmt(made - sum) + ' of ' + fmt(made) + ' increments lost inside the workers.';
      bad = true;
    }
  } else if (one < sum) {
    lesson = fmt(sum - one) + ' of ' + fmt(sum) + ' increments lost: read, await, write is not atomic.';
    bad = true;
  } else {
    lesson = 'Every worker sees the same ' + fmt(one) + '; the shares add up to ' + fmt(sum) +
      (one > sum ? ' (the rest came from workers that have exited, or an earlier run).' : '.');
  }
  return el('section', { class: 'card', 'data-card': name },
    el('h2', {}, el('span', {}, name), el('span', { class: 'kind ' + (shared ? 'shared' : 'own') }, shared ? 'shared by the ' + view.scope : 'per worker'),
      el('code', {}, '/counter/' + name)),
    ...rows, el('p', { class: 'lesson' + (bad ? ' bad' : '') }, lesson));
};

const marks = (w, polledBy) => [
  w.id === pageId ? el('span', { class: 'tag' }, 'page') : null,
  w.id === polledBy ? el('span', { class: 'tag' }, 'poll') : null,
];

const workerTable = (data) => {
  const caches = keysOf(data.workers.map((w) => w.caches));
  const polledBy = data.served_by ? data.served_by.id : -1;
  const cacheCells = (c) => caches.map((name) => {
    const s = c[name];
    if (!s) return el('td', {});
    // bypassed: lookups that skipped a cache that was down (fail open to the database).
    const bypassed = s.bypassed ? el('span', { class: 'miss note' }, fmt(s.bypassed) + ' bypassed') : null;
    // size is null for a cache outside the worker (Redis): there is no per-worker size to show.
    const size = s.size === null || s.size === undefined ? '' : ' \\u00b7 ' + fmt(s.size);
    return el('td', {}, fmt(s.hits), ' / ', el('span', { class: 'miss' }, fmt(s.misses)), size, bypassed);
  });
  const head = el('tr', {}, el('th', {}, 'worker'), el('th', {}, 'pid'), el('th', {}, 'up (s)'), el('th', {}, 'requests'),
    ...caches.map((name) => el('th', {}, name + ' cache', el('br', {}), 'hits / misses \\u00b7 size')), el('th', {}, 'db calls'));
  const rows = data.workers.map((w) => el('tr', { 'data-worker-row': w.id },
    el('td', {}, el('span', { class: 'chip ' + colour(w.id) }, 'w' + w.id), ...marks(w, polledBy)),
    el('td', {}, w.pid), el('td', {}, fmt(Math.round(w.uptime_s))), el('td', {}, fmt(w.requests)),
    ...cacheCells(w.caches), el('td', {}, fmt(w.db_calls))));
  for (const w of data.unresponsive || []) {
    rows.push(el('tr', { class: 'gone' }, el('td', {}, el('span', { class: 'chip ' + colour(w.id) }, 'w' + w.id)),
      el('td', {}, w.pid), el('td', { colspan: caches.length + 3 }, 'busy: no answer in time')));
  }
  const t = data.totals;
  rows.push(el('tr', { class: 'sum' }, el('td', {}, 'all'), el('td', {}), el('td', {}), el('td', {}, fmt(t.requests)),
    ...cacheCells(t.caches || {}), el('td', {}, fmt(t.db_calls))));
  return el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows));
};

const tile = (label, value, stat) => el('div', { class: 'tile' }, el('span', {}, label), el('b', { 'data-stat': stat }, value));

const render = (data) => {
  const names = Object.keys(data.strategies || {});
  const state = data.workers[0] ? data.workers[0].state : '?';
  const upS = Math.max(0, Math.round((Date.now() - Date.parse(data.started_at)) / 1000));
  $('tiles').replaceChildren(tile('live workers', data.workers.length, 'workers'), tile('restarts', data.restarts, 'restarts'),
    tile('requests', fmt(data.totals.requests), 'requests'), tile('db calls', fmt(data.totals.db_calls), 'db_calls'),
    tile('--state', state, 'state'), tile('cluster up', upS + ' s', 'uptime'));
  $('counters').replaceChildren(...names.map((name) => counterCard(name, data)));
  $('workers').replaceChildren(workerTable(data));
  if (data.served_by) {
    const poll = $('poll-worker');
    poll.textContent = who(data.served_by);
    poll.className = colour(data.served_by.id);
    poll.dataset.workerId = data.served_by.id;
  }
};

const setStatus = (ok, text) => {
  const status = $('status');
  status.className = 'status ' + (ok ? 'live' : 'down');
  status.textContent = text;
};

const poll = async () => {
  const started = Date.now();
  try {
    const response = await fetch('cluster', { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    render(await response.json());
    setStatus(true, '\\u25cf live \\u00b7 ' + new Date().toLocaleTimeString('en-GB'));
  } catch (error) {
    setStatus(false, '\\u2715 no answer (' + (error && error.message ? error.message : error) + '); retrying');
  }
  setTimeout(() => void poll(), Math.max(0, POLL_MS - (Date.now() - started)));
};
void poll();
`;
