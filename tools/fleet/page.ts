// The fleet page (GET /fleet/dashboard through the balancer): one self-contained HTML page, no CDN,
// that polls /fleet. Its policy allows exactly its own inline script and style (by hash) and requests
// to its own origin, and no page may frame it.
import { createHash } from 'node:crypto';
import { FLEET_PAGE_SCRIPT } from './page-script.js';

const FLEET_PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f6f7f9; }
h1 { margin: 0 0 .25rem; font-size: 1.4rem; }
#summary, #status, .meta { color: #556; margin: .2rem 0; }
#hosts { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.host { background: #fff; border: 1px solid #dde; border-radius: 8px; padding: .75rem 1rem; min-width: 16rem; }
.host h2 { margin: 0; font-size: 1.1rem; }
.badge { font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; color: #fff; background: #889; }
.badge.up { background: #2e7d32; } .badge.down { background: #c62828; } .badge.warn { background: #ef6c00; }
.badge.drain { background: #1565c0; } .badge.maint { background: #6a1b9a; }
table { border-collapse: collapse; margin-top: .5rem; }
th, td { text-align: left; padding: .15rem .6rem .15rem 0; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.strategies { background: #fff; border: 1px solid #dde; border-radius: 8px; padding: .5rem; width: 100%; }
.strategies th { border-bottom: 1px solid #dde; }
.scope.worker { color: #8d6e63; } .scope.host { color: #1565c0; } .scope.fleet { color: #2e7d32; }
.verdict.exact b { color: #2e7d32; } .verdict.split b { color: #ef6c00; } .verdict.lost b { color: #c62828; }
.error { color: #c62828; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const POLICY = `default-src 'none'; script-src ${sha256(FLEET_PAGE_SCRIPT)}; style-src ${sha256(FLEET_PAGE_STYLE)}; connect-src 'self'; img-src data:`;

/** Sent as a header, with what a <meta> cannot say: no framing. */
export const FLEET_PAGE_CSP = `${POLICY}; frame-ancestors 'none'`;

export const FLEET_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${POLICY}">
<link rel="icon" href="data:,">
<title>cluster-state-lab · fleet</title>
<style>${FLEET_PAGE_STYLE}</style>
</head>
<body>
<h1>cluster-state-lab · fleet</h1>
<p id="summary">…</p>
<p id="status">connecting…</p>
<div id="hosts"></div>
<h2>Counters: per host, and what the whole fleet makes of them</h2>
<div id="strategies"></div>
<noscript>The page needs JavaScript; <a href="/fleet">/fleet</a> has the same numbers as JSON.</noscript>
<script>${FLEET_PAGE_SCRIPT}</script>
</body>
</html>
`;
