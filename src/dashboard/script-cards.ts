// The dashboard's counter cards, drawn from /cluster's `strategies` and `verdicts` alone (any strategy
// of the registry, none named here). Right and wrong look different: a green card with one bar where
// answers, true total and largest answer agree; an orange one where they do not, with the loss drawn
// as empty space on a scale of the answers, and the gap between the true total and the largest answer
// a client saw hatched and labelled. Workers that died since the reset keep a grey ghost bar.
export const CARDS_SCRIPT = `
const KINDS = {
  exact: { cls: 'right', icon: '\\u2714', text: (v) => 'exact: ' + fmt(v.true_total) + ' of ' + fmt(v.expected) },
  split: { cls: 'wrong', icon: '\\u25d0', text: (v) => v.scope === 'worker' ? 'no worker knows the total' : 'split: no store knows the total' },
  lost: { cls: 'wrong', icon: '\\u2718', text: (v) => fmt(v.lost) + ' of ' + fmt(v.expected) + ' lost' },
  more: { cls: 'odd', icon: '+', text: (v) => fmt(-v.lost) + ' more than answered' },
  unreadable: { cls: 'odd', icon: '?', text: () => 'cannot be read now' },
  idle: { cls: 'idle', icon: '\\u00b7', text: () => 'no requests yet' },
};
const IDLE = { kind: 'idle', expected: 0, true_total: 0, lost: 0, largest_seen: null, died: [], sentences: [] };
const scopeText = (scope) => (scope === 'worker' ? 'per worker' : 'shared: ' + scope);

// The bars of the workers alive now: their own count (worker scope) or the answers they gave (shared).
const workerRows = (name, data, scale, perWorker) => data.workers.map((w) => {
  const value = perWorker ? ((w.counters || {})[name] ?? 0) : ((w.increments || {})[name] ?? 0);
  return bar({ class: colour(w.id), 'data-strategy': name, 'data-worker-id': w.id, 'data-value': value },
    chip(w.id), [{ cls: 'fill', from: 0, to: value }], scale, fmt(value));
});

// Ghost bars: workers gone since the reset, with their pid and what died with them (for a shared
// strategy, nothing: its bar is the answers it gave, which the store kept).
const ghostRows = (name, data, v, scale, perWorker) => {
  const rows = [];
  for (const dead of v.died || []) {
    if (dead.folded && dead.took > 0) {
      rows.push(bar({ class: 'ghost took', 'data-ghost-folded': dead.folded, 'data-took': dead.took },
        el('span', { class: 'chip gone' }, '\\u2020\\u00d7' + dead.folded),
        [{ cls: 'fill', from: 0, to: dead.took, text: fmt(dead.folded) + ' earlier workers' }], scale, 'took ' + fmt(dead.took)));
    }
  }
  for (const ghost of data.ghosts || []) {
    const dead = (v.died || []).find((d) => d.pid === ghost.pid && d.id === ghost.id);
    const took = dead ? dead.took : 0;
    const answered = (ghost.increments || {})[name] ?? 0;
    if (took === 0 && answered === 0) continue;
    const how = ghost.reason ? ghost.reason : (ghost.exit || 'gone').replace('killed by ', '');
    rows.push(bar({ class: 'ghost' + (took > 0 ? ' took' : ''), 'data-ghost-id': ghost.id, 'data-ghost-pid': ghost.pid, 'data-took': took,
        title: who(ghost) + ': ' + ghost.exit + (ghost.reason ? ' (' + ghost.reason + ')' : '') },
      el('span', { class: 'chip gone' }, '\\u2020w' + ghost.id),
      [{ cls: 'fill', from: 0, to: perWorker ? took : answered, text: 'pid ' + ghost.pid + ' \\u00b7 ' + how }], scale,
      'took ' + fmt(took)));
  }
  return rows;
};

// Answers, true total, largest answer, on one scale: the answers. A loss is empty space.
const compareRows = (name, v, scale, perWorker) => {
  const total = v.true_total;
  const largest = v.largest_seen;
  if (v.kind === 'exact') {
    return [bar({ class: 'agree', 'data-strategy-total': name, 'data-value': total ?? '' }, 'all agree',
      [{ cls: 'fill', from: 0, to: total }], scale, fmt(total))];
  }
  const rows = [bar({ class: 'answers', 'data-expected': name, 'data-value': v.expected }, 'answers',
    [{ cls: 'fill', from: 0, to: v.expected }], scale, fmt(v.expected))];
  const totalParts = [{ cls: 'fill', from: 0, to: total ?? 0 }];
  if (v.lost > 0 && total !== null) {
    totalParts.push({ cls: 'lost', from: total, to: v.expected, text: 'lost ' + fmt(v.lost),
      attrs: { 'data-gap': name, 'data-value': v.lost } });
  }
  rows.push(bar({ class: 'total', 'data-strategy-total': name, 'data-value': total ?? '' },
    perWorker ? 'sum' : 'store', totalParts, scale, fmt(total)));
  const seenParts = [{ cls: 'fill', from: 0, to: largest ?? 0 }];
  if (largest !== null && total !== null && largest < total) {
    seenParts.push({ cls: 'unseen', from: largest, to: total, text: 'gap ' + fmt(total - largest),
      attrs: { 'data-unseen': name, 'data-value': total - largest } });
  }
  rows.push(bar({ class: 'seen', 'data-largest': name, 'data-value': largest ?? '' }, 'largest', seenParts, scale, fmt(largest)));
  return rows;
};

const badge = (v) => {
  const kind = KINDS[v.kind] || KINDS.idle;
  return el('span', { class: 'badge ' + kind.cls }, kind.icon + ' ' + kind.text(v));
};

const counterCard = (name, data) => {
  const view = (data.strategies || {})[name] || { scope: 'worker', route: '/counter/' + name };
  const v = (data.verdicts || {})[name] || IDLE;
  const perWorker = view.scope === 'worker';
  const kind = KINDS[v.kind] || KINDS.idle;
  const scale = Math.max(v.expected || 0, v.true_total || 0, v.largest_seen || 0, 1);
  return el('section', { class: 'card ' + kind.cls, 'data-card': name, 'data-kind': v.kind, 'data-expected': v.expected,
      'data-true-total': v.true_total ?? '', 'data-lost': v.lost ?? '', 'data-largest': v.largest_seen ?? '' },
    el('h2', {}, el('span', { class: 'name' }, name), el('span', { class: 'kind ' + (perWorker ? 'own' : 'shared') }, scopeText(view.scope)),
      el('code', {}, view.route)),
    badge(v),
    el('div', { class: 'bars' }, workerRows(name, data, scale, perWorker), ghostRows(name, data, v, scale, perWorker)),
    el('div', { class: 'compare' }, compareRows(name, v, scale, perWorker)),
    el('p', { class: 'lesson' }, (v.sentences || []).slice(0, 3).join(' ')));
};

// Every strategy on one line each: the comparison of right and wrong (the scope ladder).
const compareTable = (data) => {
  const names = Object.keys(data.strategies || {});
  const head = el('tr', {}, ['counter', 'scope', 'answers', 'true total', 'lost', 'largest', 'verdict'].map((t) => el('th', {}, t)));
  const rows = names.map((name) => {
    const v = (data.verdicts || {})[name] || IDLE;
    const kind = KINDS[v.kind] || KINDS.idle;
    return el('tr', { class: kind.cls, 'data-compare': name },
      el('td', {}, name), el('td', {}, scopeText(data.strategies[name].scope)), el('td', {}, fmt(v.expected)),
      el('td', {}, fmt(v.true_total)), el('td', {}, fmt(v.lost)), el('td', {}, fmt(v.largest_seen)), el('td', {}, badge(v)));
  });
  return el('table', { class: 'ladder' }, el('thead', {}, head), el('tbody', {}, rows));
};
`;
