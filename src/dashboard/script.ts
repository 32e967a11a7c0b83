// The dashboard's browser code, inlined into the page as plain ES2020 (no build step, nothing fetched
// but /cluster and, for the instructor, the admin routes). It polls every POLL_MS and redraws from the
// answer alone, so a killed worker turns into a ghost and its replacement appears. Strategies and
// caches are read from the keys present, so a new one shows up with no change here. The parts live
// in files of their own (helpers, cards, tables, controls, projector); each is kept free of backticks.
import { BASE_SCRIPT } from './script-base.js';
import { CARDS_SCRIPT } from './script-cards.js';
import { CONTROLS_SCRIPT } from './script-controls.js';
import { PROJECTOR_SCRIPT } from './script-projector.js';
import { TABLES_SCRIPT } from './script-tables.js';

const MAIN_SCRIPT = `
const POLL_MS = 500;
const TIMEOUT_MS = 2000;
let latest = null;
let timer = null;
// Only the newest poll may draw: an action's immediate poll can overtake the regular one.
let generation = 0;

const render = (data) => {
  latest = data;
  document.body.classList.toggle('projector', projector);
  renderControls(data);
  if (data.served_by) {
    const poll = $('poll-worker');
    poll.textContent = who(data.served_by);
    poll.className = colour(data.served_by.id);
    poll.dataset.workerId = data.served_by.id;
  }
  if (projector) {
    renderProjector(data);
    return;
  }
  $('tiles').replaceChildren(...tiles(data));
  $('counters').replaceChildren(...Object.keys(data.strategies || {}).map((name) => counterCard(name, data)));
  $('workers').replaceChildren(workerTable(data, token !== null && data.admin));
  $('feed').replaceChildren(el('h2', {}, 'Last requests'), feedList(data, 16));
};

const setStatus = (ok, text) => {
  for (const status of document.querySelectorAll('.status')) {
    status.classList.toggle('live', ok);
    status.classList.toggle('down', !ok);
    status.textContent = text;
  }
};

const poll = async () => {
  clearTimeout(timer);
  const mine = (generation += 1);
  const started = Date.now();
  try {
    const response = await fetch('cluster', { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    if (mine !== generation) return;
    render(data);
    setStatus(true, '\\u25cf live \\u00b7 ' + new Date().toLocaleTimeString('en-GB'));
  } catch (error) {
    if (mine !== generation) return;
    setStatus(false, '\\u2715 no answer (' + (error && error.message ? error.message : error) + '); retrying');
  }
  clearTimeout(timer);
  timer = setTimeout(() => void poll(), Math.max(0, POLL_MS - (Date.now() - started)));
};
const pollNow = () => void poll();
$('to-projector').addEventListener('click', () => setProjector(true));
$('to-normal').addEventListener('click', () => setProjector(false));
void poll();
`;

export const DASHBOARD_SCRIPT = `
'use strict';
${BASE_SCRIPT}
${CARDS_SCRIPT}
${TABLES_SCRIPT}
${PROJECTOR_SCRIPT}
${CONTROLS_SCRIPT}
${MAIN_SCRIPT}
`;
