// The dashboard's CSS, inlined into the page. Sized for a projector: large type, thick bars, and the
// Okabe-Ito palette (safe for the common colour-vision deficiencies); every bar also carries its
// worker's id as text, so colour is never the only cue.
export const DASHBOARD_STYLE = `
:root {
  --ink: #111; --muted: #555; --line: #c8c8c8; --track: #ececec; --paper: #fff;
  --total: #000; --good: #009e73; --bad: #d55e00;
  font: 20px/1.35 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--paper);
}
* { box-sizing: border-box; }
body { margin: 0; padding: 14px 22px 20px; }
h1, h2, p { margin: 0; }
.num, td, .value, .tile b { font-variant-numeric: tabular-nums; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 28px; }
h1 { font-size: 1.6rem; }
.who { font-size: 1.2rem; }
.who b { padding: 0 6px; border-radius: 6px; border: 2px solid var(--ink); background: var(--c, transparent); }
.sub { display: flex; align-items: baseline; gap: 16px; margin-top: 2px; }
.status { margin-left: auto; font-weight: 600; white-space: nowrap; }
.status.live { color: var(--good); }
.status.down { color: var(--bad); }
.hint { color: var(--muted); font-size: 0.85rem; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 10px; }
.tile { border: 2px solid var(--line); border-radius: 10px; padding: 2px 14px; min-width: 130px; }
.tile span { display: block; color: var(--muted); font-size: 0.8rem; }
.tile b { font-size: 1.35rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(370px, 1fr)); gap: 12px; }
.card { border: 2px solid var(--line); border-radius: 10px; padding: 8px 12px 10px; }
.card h2 { font-size: 1.25rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 10px; margin-bottom: 2px; }
.card h2 > * { white-space: nowrap; }
.card h2 code { font-size: 0.75rem; color: var(--muted); font-weight: 400; margin-left: auto; }
.kind { white-space: nowrap; font-size: 0.75rem; font-weight: 600; padding: 1px 8px; border-radius: 99px; border: 2px solid; }
.kind.own { color: var(--bad); }
.kind.shared { color: var(--good); }
.row { display: grid; grid-template-columns: 3.8em 1fr 3.6em; align-items: center; gap: 8px; margin: 3px 0; }
.row .label { font-weight: 700; white-space: nowrap; }
.row .value { text-align: right; font-weight: 700; font-size: 1.1rem; }
.track { height: 24px; background: var(--track); border-radius: 4px; overflow: hidden; }
.fill { height: 100%; min-width: 3px; background: var(--c); border-right: 3px solid var(--ink); }
.row.total { border-top: 2px dashed var(--line); padding-top: 4px; }
.row.total .fill { background: repeating-linear-gradient(135deg, #000 0 6px, #555 6px 12px); }
.lesson { margin-top: 6px; font-size: 0.9rem; }
.lesson.bad { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin-top: 10px; font-size: 0.95rem; }
th, td { padding: 3px 8px; border-bottom: 2px solid var(--line); text-align: right; white-space: nowrap; }
th { font-size: 0.8rem; color: var(--muted); vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
tr.sum td { font-weight: 700; border-bottom: 0; }
tr.gone td { color: var(--muted); font-style: italic; }
.chip { display: inline-block; min-width: 2.6em; padding: 0 6px; margin-right: 6px; border-radius: 6px;
  background: var(--c); border: 2px solid var(--ink); font-weight: 700; text-align: center; }
.tag { font-size: 0.75rem; border: 2px solid var(--ink); border-radius: 99px; padding: 0 6px; margin-left: 4px; }
.miss { color: var(--bad); }
.note { display: block; font-size: 0.75rem; }
.w0 { --c: #e69f00; } .w1 { --c: #56b4e9; } .w2 { --c: #009e73; } .w3 { --c: #f0e442; }
.w4 { --c: #0072b2; } .w5 { --c: #d55e00; } .w6 { --c: #cc79a7; }
.chip.w4, .who .w4 { color: #fff; }
`;
