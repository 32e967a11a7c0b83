// The instructor's controls, shown only when the cluster has an admin token (/cluster's `admin`).
// The token is typed once into the page and kept in sessionStorage (this tab only, gone when it
// closes): it travels only in the Authorization header of a POST, never in a URL, so no history,
// log or Referer ever holds it. After each action the page polls at once, so its effect shows.
export const CONTROLS_SCRIPT = `
const TOKEN_KEY = 'cluster-state-lab:admin-token';
let token = null;
try { token = sessionStorage.getItem(TOKEN_KEY); } catch (error) { token = null; }
const remember = (value) => {
  token = value;
  try {
    if (value === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  } catch (error) { /* storage refused (private mode): the token lives in this page's memory */ }
};
const say = (ok, text) => {
  const out = $('action-result');
  out.className = ok ? 'ok' : 'bad';
  out.textContent = text;
};

const describeDone = (body) => {
  if (body.killed) return 'SIGKILL sent to ' + who(body.killed);
  if (body.reset) return 'everything since ' + body.reset.since.slice(11, 19) + (body.reset.errors.length ? '; ' + body.reset.errors.join('; ') : '');
  if (body.reload) return body.reload.started ? 'replacing ' + body.reload.workers + ' workers one at a time' : 'a reload is already running';
  if (body.keep_alive !== undefined) return 'keep-alive ' + (body.keep_alive ? 'on' : 'off') + ' for ' + body.workers + ' workers';
  if (body.redis) return 'Redis ' + (body.redis.stopped ? 'stopped' : 'running (pid ' + body.redis.pid + ')');
  return 'done';
};

const adminPost = async (path, label) => {
  if (token === null) return;
  say(true, label + '\\u2026');
  try {
    const response = await fetch(path, {
      method: 'POST', cache: 'no-store', headers: { authorization: 'Bearer ' + token }, signal: AbortSignal.timeout(15000),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      remember(null);
      say(false, 'That is not the admin token: enter it again.');
    } else if (!response.ok && response.status !== 202) {
      say(false, label + ': ' + (body.message || 'HTTP ' + response.status));
    } else {
      say(true, label + ': ' + describeDone(body));
    }
  } catch (error) {
    say(false, label + ': no answer (' + (error && error.message ? error.message : error) + ')');
  }
  if (latest) render(latest);
  pollNow();
};

const ACTIONS = {
  reset: () => adminPost('admin/reset', 'Reset'),
  'reset-shared': () => adminPost('admin/reset?shared=1', 'Reset, file and Redis too'),
  reload: () => adminPost('admin/reload', 'Rolling reload'),
  'keep-alive': () => adminPost('admin/keep-alive?on=' + (latest && latest.keep_alive ? '0' : '1'), 'Keep-alive'),
  redis: () => adminPost('admin/redis/' + (latest && latest.redis.stopped ? 'start' : 'stop'), 'Redis'),
  lock: () => { remember(null); say(true, 'Token forgotten.'); if (latest) render(latest); },
};

const unlock = () => {
  const input = $('token');
  if (input.value.trim() === '') return;
  remember(input.value.trim());
  input.value = '';
  say(true, 'Controls unlocked for this tab.');
  if (latest) render(latest);
};

const renderControls = (data) => {
  $('controls').hidden = !data.admin;
  $('unlock').hidden = token !== null;
  $('actions').hidden = token === null;
  const keep = document.querySelector('[data-action="keep-alive"]');
  keep.textContent = data.keep_alive ? 'Keep-alive is on: turn off' : 'Keep-alive is off: turn on';
  const redis = document.querySelector('[data-action="redis"]');
  redis.hidden = !data.redis || data.redis.origin !== 'private';
  redis.textContent = data.redis && data.redis.stopped ? 'Start Redis' : 'Stop Redis';
};

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-action],[data-kill],#unlock-button') : null;
  if (target === null) return;
  if (target.id === 'unlock-button') unlock();
  else if (target.dataset.kill) adminPost('admin/kill?worker=' + Number(target.dataset.kill), 'kill -9 worker ' + target.dataset.kill);
  else if (ACTIONS[target.dataset.action]) ACTIONS[target.dataset.action]();
});
$('token').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') unlock();
});
`;
