// The live dashboard at GET /: one self-contained HTML page (inline CSS and JS, no CDN, no fonts or
// images to fetch), so it works in a classroom without internet. The worker that rendered it is
// written into the page: a browser reuses its keep-alive connection, so refreshing keeps landing on
// the same worker, and the page says which one.
import type { WorkerIdentity } from '../stats.js';
import { DASHBOARD_SCRIPT } from './script.js';
import { DASHBOARD_STYLE } from './style.js';

// The browser itself refuses anything from elsewhere: the page may only talk to its own origin.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/**
 * The same policy as a response header, where it belongs, plus what a <meta> cannot say: no page
 * may frame the dashboard (clickjacking). The <meta> stays for a copy of the page saved to disk.
 */
export const DASHBOARD_CSP_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

const PALETTE_SIZE = 7;

/** The dashboard's HTML, stamped with the worker that served it. */
export const renderDashboard = (servedBy: WorkerIdentity): string => {
  // Numbers only, so nothing here can break out of the markup.
  const id = Math.trunc(Number(servedBy.id));
  const pid = Math.trunc(Number(servedBy.pid));
  const colour = `w${(((id - 1) % PALETTE_SIZE) + PALETTE_SIZE) % PALETTE_SIZE}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<link rel="icon" href="data:,">
<title>cluster-state-lab · worker ${id}</title>
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<div id="normal">
<header>
  <h1>cluster-state-lab</h1>
  <p class="who">This page: <b id="page-worker" class="${colour}" data-worker-id="${id}" data-worker-pid="${pid}">worker ${id} (pid ${pid})</b></p>
  <p class="who">Last poll: <b id="poll-worker">…</b></p>
</header>
<div class="sub">
  <p class="hint">Refresh keeps the same worker: the browser reuses its connection.
  Polls <code>GET /cluster</code> twice a second; counts run from the last reset.</p>
  <p class="status">connecting…</p>
  <button id="to-projector" type="button" title="One panel at a time, large (key P)">Projector view (P)</button>
</div>
<section id="controls" class="controls" hidden>
  <h2>Instructor</h2>
  <div id="unlock"><label>Admin token <input id="token" type="password" autocomplete="off" spellcheck="false"></label>
    <button id="unlock-button" type="button">Unlock</button></div>
  <div id="actions" hidden>
    <button type="button" data-action="reset">Reset</button>
    <button type="button" data-action="reset-shared">Reset, file &amp; Redis too</button>
    <button type="button" data-action="reload">Rolling reload</button>
    <button type="button" data-action="keep-alive">Keep-alive</button>
    <button type="button" data-action="redis">Stop Redis</button>
    <button type="button" data-action="lock" class="quiet">Forget token</button>
    <span class="hint">kill -9: in the worker table</span>
  </div>
  <output id="action-result"></output>
</section>
<div id="tiles" class="tiles"></div>
<main id="counters" class="cards"></main>
<div class="lower"><div id="workers"></div><aside id="feed"></aside></div>
</div>
<div id="projection">
  <div class="bar"><b id="slide-title">…</b><span id="slide-count"></span>
    <span class="keys">← → step · C cycle · P normal view</span><span class="status">connecting…</span>
    <button id="to-normal" type="button">Normal view</button></div>
  <div id="stage"></div>
</div>
<noscript>The dashboard needs JavaScript; <a href="/cluster">/cluster</a> has the same numbers as JSON.</noscript>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
};
