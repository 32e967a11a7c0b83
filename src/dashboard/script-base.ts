// The dashboard's browser helpers: building elements, colours, numbers, and a bar. Plain ES2020,
// inlined into the page (see page.ts); kept free of backticks and dollar-brace, since it lives in a
// template literal.
export const BASE_SCRIPT = `
const $ = (id) => document.getElementById(id);
const pageId = Number($('page-worker').dataset.workerId);

// el('div', {class: 'row', 'data-x': 1}, child, 'text', ...): attributes, then children.
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
};
const colour = (id) => 'w' + (((id - 1) % 7) + 7) % 7;
const fmt = (n) => (n === null || n === undefined ? '\\u2014' : Number(n).toLocaleString('en-US'));
const keysOf = (objects) => [...new Set(objects.flatMap((o) => Object.keys(o || {})))];
const who = (w) => 'worker ' + w.id + ' (pid ' + w.pid + ')';
const pct = (value, scale) => (scale > 0 && value > 0 ? Math.min(100, (100 * value) / scale) : 0);
const clock = (t) => new Date(t).toLocaleTimeString('en-GB') + '.' + String(t % 1000).padStart(3, '0');
const chip = (id, text) => el('span', { class: 'chip ' + colour(id) }, text || 'w' + id);

// One bar: a label, a track with fills positioned in it (each {cls, from, to, attrs, text}), a value.
const bar = (rowAttrs, label, parts, scale, value) => {
  const track = el('div', { class: 'track' });
  for (const part of parts) {
    const node = el('div', Object.assign({ class: 'part ' + part.cls }, part.attrs || {}), part.text || null);
    node.style.left = pct(part.from, scale) + '%';
    node.style.width = Math.max(0, pct(part.to, scale) - pct(part.from, scale)) + '%';
    track.append(node);
  }
  return el('div', Object.assign({}, rowAttrs, { class: 'row ' + (rowAttrs.class || '') }),
    el('span', { class: 'label' }, label), track, el('span', { class: 'value' }, value));
};
`;
