// The fleet page's script: polls GET /fleet once a second and draws the hosts (HAProxy's status of
// each, its workers) and every strategy per host with its fleet-wide verdict. Built with the DOM
// (textContent), never with HTML strings, so nothing a host reports can inject markup.
export const FLEET_PAGE_SCRIPT = `
'use strict';
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'class') node.className = value; else node.setAttribute(key, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
};
const fmt = (value) => value === null || value === undefined ? '—' : typeof value === 'number' ? value.toLocaleString('en-US') : String(value);
const statusClass = (status) => {
  const s = String(status || '').toUpperCase();
  if (s.startsWith('UP')) return s === 'UP' ? 'up' : 'warn';
  if (s.startsWith('DOWN')) return s.includes('/') ? 'warn' : 'down';
  if (s === 'DRAIN' || s === 'NOLB') return 'drain';
  if (s === 'MAINT') return 'maint';
  return 'unknown';
};

const renderHost = (host) => {
  const lb = host.balancer;
  const status = lb ? lb.status : 'not in HAProxy';
  const card = el('section', { class: 'host', 'data-instance': host.instance, 'data-status': status });
  card.append(el('h2', {}, host.instance, ' ', el('span', { class: 'badge ' + statusClass(status), 'data-role': 'status' }, status)));
  card.append(el('p', { class: 'meta' }, host.url, ' · ', host.state, host.primary_pid ? ' · primary pid ' + host.primary_pid : ''));
  if (lb) {
    const rows = [
      ['last check', (lb.check || '—') + (lb.check_ms !== null ? ' (' + lb.check_ms + ' ms)' : '')],
      ['sessions now / total', fmt(lb.current_sessions) + ' / ' + fmt(lb.total_sessions)],
      ['requests', fmt(lb.requests)],
      ['failed checks / downs', fmt(lb.failed_checks) + ' / ' + fmt(lb.downs)],
      ['retries / redispatches', fmt(lb.retries) + ' / ' + fmt(lb.redispatches)],
      ['status for', fmt(lb.last_change_s) + ' s'],
    ];
    card.append(el('table', { class: 'kv' }, ...rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v)))));
  }
  if (host.cluster) {
    const workers = host.cluster.workers.map((w) =>
      el('tr', { 'data-worker': w.instance + '/' + w.id }, el('td', {}, w.id), el('td', {}, w.pid), el('td', {}, fmt(w.requests))));
    card.append(el('table', { class: 'workers' },
      el('tr', {}, el('th', {}, 'worker'), el('th', {}, 'pid'), el('th', {}, 'requests')), ...workers));
  } else {
    card.append(el('p', { class: 'error' }, host.error || 'no answer'));
  }
  return card;
};

const renderStrategies = (data) => {
  const hosts = data.hosts.map((h) => h.instance);
  const head = el('tr', {}, el('th', {}, 'route'), el('th', {}, 'scope'), ...hosts.map((h) => el('th', {}, h)),
    el('th', {}, 'answers'), el('th', {}, 'true total'), el('th', {}, 'largest'), el('th', {}, 'verdict'));
  const rows = Object.entries(data.strategies).map(([name, s]) => {
    const v = s.verdict;
    const cells = hosts.map((h) => el('td', { class: 'num' }, fmt(s.per_host[h])));
    return el('tr', { 'data-strategy': name, 'data-kind': v.kind },
      el('td', {}, s.route), el('td', { class: 'scope ' + s.scope }, s.scope), ...cells,
      el('td', { class: 'num' }, fmt(v.expected)), el('td', { class: 'num' }, fmt(v.true_total)),
      el('td', { class: 'num' }, fmt(v.largest_seen)),
      el('td', { class: 'verdict ' + v.kind }, el('b', {}, v.kind), ' ', v.sentences.join(' ')));
  });
  return el('table', { class: 'strategies' }, head, ...rows);
};

const render = (data) => {
  const f = data.fleet;
  $('summary').textContent = f.hosts + ' hosts × ' + f.workers_per_host + ' workers behind HAProxy ' + f.haproxy.version +
    ' (balance ' + f.balance + ') on ' + f.url + ' · Redis: ' + (f.redis.url || f.redis.origin) +
    ' · verdicts since ' + data.baseline_at.slice(11, 19) + ' UTC';
  $('hosts').replaceChildren(...data.hosts.map(renderHost));
  $('strategies').replaceChildren(renderStrategies(data));
  $('status').textContent = data.balancer_error ? 'HAProxy: ' + data.balancer_error : 'updated ' + new Date().toLocaleTimeString();
};

const poll = async () => {
  try {
    const response = await fetch('/fleet', { cache: 'no-store' });
    if (!response.ok) throw new Error('/fleet answered ' + response.status);
    render(await response.json());
  } catch (error) {
    $('status').textContent = 'no answer from /fleet: ' + error.message;
  } finally {
    setTimeout(poll, POLL_MS);
  }
};
poll();
`;
