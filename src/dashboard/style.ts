// The dashboard's CSS, inlined into the page. Made for a projector: large type, thick bars, the
// Okabe-Ito palette (safe for the common colour-vision deficiencies), and right and wrong told apart
// by more than colour — a ✔ or ✘ badge, a solid or a hatched gap, a border style. Every bar also
// carries its worker's id as text. Sizes inside a card are in em, so the projector view scales a
// card by its font size alone.
export const DASHBOARD_STYLE = `
:root {
  --ink: #111; --muted: #4a4a4a; --line: #c8c8c8; --track: #ececec; --paper: #fff;
  --good: #007a5a; --bad: #c24e00; --odd: #8a6d00; --seen: #0072b2; --ghost: #8c8c8c;
  font: 20px/1.3 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--paper);
}
* { box-sizing: border-box; }
body { margin: 0; }
#normal { padding: 12px 20px 20px; }
h1, h2, p { margin: 0; }
td, .value, .tile b, .time, .conn { font-variant-numeric: tabular-nums; }
button { font: inherit; font-size: 0.85em; padding: 2px 12px; border: 2px solid var(--ink); border-radius: 8px;
  background: #f4f4f4; cursor: pointer; }
button:hover { background: #e4e4e4; }
button.quiet { border-color: var(--line); }
#to-projector { white-space: nowrap; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 24px; }
h1 { font-size: 1.5rem; }
.who { font-size: 1.1rem; }
.who b { padding: 0 6px; border-radius: 6px; border: 2px solid var(--ink); background: var(--c, transparent); }
.sub { display: flex; align-items: baseline; gap: 16px; margin-top: 2px; }
.status { margin-left: auto; font-weight: 700; white-space: nowrap; }
.status.live { color: var(--good); }
.status.down { color: var(--bad); }
.hint { color: var(--muted); font-size: 0.8rem; }
.controls { margin-top: 8px; border: 3px solid var(--seen); border-radius: 10px; padding: 6px 12px; display: flex;
  flex-wrap: wrap; align-items: center; gap: 6px 14px; }
.controls[hidden], .controls [hidden] { display: none; }
.controls h2 { font-size: 1rem; color: var(--seen); }
.controls input { font: inherit; font-size: 0.9em; width: 16em; }
#actions { display: flex; flex-wrap: wrap; gap: 6px 8px; align-items: center; }
#action-result { font-weight: 700; }
#action-result.ok { color: var(--good); }
#action-result.bad { color: var(--bad); }
.tiles { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.tile { border: 2px solid var(--line); border-radius: 10px; padding: 1px 12px; min-width: 112px; }
.tile span { display: block; color: var(--muted); font-size: 0.75rem; }
.tile b { font-size: 1.3rem; }
.tile.off b { color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(390px, 1fr)); gap: 12px; }
.card { border: 3px solid var(--line); border-radius: 12px; padding: 0.4em 0.6em 0.5em; font-size: 1em; }
.card.right { border-color: var(--good); }
.card.wrong { border-color: var(--bad); border-style: dashed; }
.card.odd { border-color: var(--odd); }
.card h2 { font-size: 1.2em; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 0.5em; }
.card h2 > * { white-space: nowrap; }
.card h2 code { font-size: 0.6em; color: var(--muted); font-weight: 400; margin-left: auto; }
.kind { font-size: 0.6em; font-weight: 700; padding: 0 0.5em; border-radius: 99px; border: 2px solid; }
.kind.own { color: var(--bad); }
.kind.shared { color: var(--good); }
.badge { display: inline-block; margin: 0.2em 0 0.25em; padding: 0.05em 0.6em; border-radius: 0.4em; font-weight: 800;
  font-size: 1.05em; color: #fff; background: var(--ghost); }
.badge.right { background: var(--good); }
.badge.wrong { background: var(--bad); }
.badge.odd { background: var(--odd); }
.row { display: grid; grid-template-columns: 4.2em 1fr 4.6em; align-items: center; gap: 0.4em; margin: 0.15em 0; }
.row .label { font-weight: 700; white-space: nowrap; font-size: 0.9em; }
.row .value { text-align: right; font-weight: 800; font-size: 1.05em; white-space: nowrap; }
.track { position: relative; height: 1.2em; background: var(--track); border-radius: 0.2em; overflow: hidden; }
.part { position: absolute; top: 0; bottom: 0; white-space: nowrap; font-size: 0.75em; line-height: 1.6em;
  padding-left: 0.3em; font-weight: 700; overflow: visible; }
.part.fill { background: var(--c, var(--ink)); border-right: 3px solid var(--ink); min-width: 3px; }
.row.ghost { color: var(--muted); }
.row.ghost .part.fill { background: repeating-linear-gradient(135deg, #bdbdbd 0 6px, #e2e2e2 6px 12px); color: #222;
  border-right: 3px dotted var(--ink); }
.row.ghost .value { font-size: 0.9em; color: var(--muted); }
.row.ghost.took .value { color: var(--bad); }
.compare { margin-top: 0.3em; padding-top: 0.2em; border-top: 2px dashed var(--line); }
.row.answers .part.fill { background: transparent; border: 3px solid var(--ink); }
.row.total .part.fill { background: repeating-linear-gradient(135deg, #111 0 6px, #555 6px 12px); }
.row.seen .part.fill { background: var(--seen); }
.row.agree .part.fill { background: var(--good); color: #fff; }
.part.lost { background: var(--paper); border: 3px dashed var(--bad); color: var(--bad); }
.part.unseen { background: repeating-linear-gradient(135deg, #ffd2a8 0 6px, #fff 6px 12px); border: 2px solid var(--bad);
  color: #7a2e00; }
.lesson { margin-top: 0.3em; font-size: 0.8em; }
.card.wrong .lesson { color: #8f3900; font-weight: 600; }
.lower { margin-top: 12px; }
#workers { overflow-x: auto; }
#feed { margin-top: 10px; }
#normal .feed ol { columns: 2; column-gap: 28px; }
#normal .feed li { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { padding: 2px 6px; border-bottom: 2px solid var(--line); text-align: right; white-space: nowrap; }
th { font-size: 0.8em; color: var(--muted); vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
tr.sum td { font-weight: 700; border-bottom: 0; }
tr.busy td, tr.ghost td { color: var(--muted); font-style: italic; }
tr.ghost td:nth-child(3) { text-align: left; white-space: normal; }
.chip { display: inline-block; min-width: 2.4em; padding: 0 0.3em; margin-right: 0.3em; border-radius: 0.3em;
  background: var(--c); border: 2px solid var(--ink); font-weight: 800; text-align: center; }
.chip.gone { background: #e2e2e2; border-style: dotted; color: #333; }
.tag { font-size: 0.7em; border: 2px solid var(--ink); border-radius: 99px; padding: 0 5px; margin-left: 3px; }
.miss { color: var(--bad); }
.note { display: block; font-size: 0.75em; }
button.kill { border-color: var(--bad); color: var(--bad); font-weight: 700; padding: 0 6px; }
#feed h2 { font-size: 1rem; }
.feed-summary { font-size: 0.85em; font-weight: 700; margin: 2px 0 4px; }
.feed ol { list-style: none; margin: 0; padding: 0; font-size: 0.85em; }
.feed li { display: grid; grid-template-columns: 7.2em 3em 8.5em 1fr 2.4em; gap: 0.3em; align-items: center; padding: 1px 0;
  border-bottom: 1px solid var(--track); white-space: nowrap; }
.feed .time { color: var(--muted); font-size: 0.85em; }
.feed .conn { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.feed .path { overflow: hidden; text-overflow: ellipsis; }
.feed .code { font-weight: 700; text-align: right; }
.feed li.kept .conn { font-weight: 800; text-decoration: underline 3px; text-decoration-color: var(--c); }
.feed .s4, .feed .s5 { color: var(--bad); }
.ladder td:first-child { font-weight: 800; }
.ladder tr.wrong td { color: #8f3900; }
.ladder .badge { font-size: 0.85em; margin: 0.1em 0; }
.w0 { --c: #e69f00; } .w1 { --c: #56b4e9; } .w2 { --c: #009e73; } .w3 { --c: #f0e442; }
.w4 { --c: #0072b2; } .w5 { --c: #d55e00; } .w6 { --c: #cc79a7; }
.chip.w4, .who .w4, .chip.w5, .who .w5 { color: #fff; }

/* The projector view: one slide, the largest type that fits (set by the script on #stage). */
#projection { display: none; }
body.projector #normal { display: none; }
body.projector #projection { display: flex; flex-direction: column; height: 100vh; overflow: hidden; }
#projection .bar { display: flex; align-items: center; gap: 18px; padding: 4px 16px; font-size: 18px;
  border-bottom: 2px solid var(--line); white-space: nowrap; }
#projection .bar b { font-size: 22px; }
#projection .keys { color: var(--muted); }
#projection .bar .status { margin-left: auto; }
#stage { flex: 1; min-height: 0; overflow: hidden; padding: 0.3em 0.6em; }
#stage > .card { border-width: 0.12em; }
#stage .card .lesson { font-size: 0.7em; }
#stage .feed li { grid-template-columns: 6.2em 2.8em 7.6em 1fr 2.2em; }
#stage .feed .time { font-size: 0.75em; }
#stage table { font-size: 0.8em; }
`;
