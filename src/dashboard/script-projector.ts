// The projector view (`/?view=projector`, or the P key): one slide at a time — one counter, the
// comparison of all of them, the live feed, the workers — in the largest type that fits the window,
// stepped with the arrow keys or cycling (C). Slides are made from /cluster's keys, so a new strategy
// gets its slide with no change here; the current slide is remembered by name, not by position.
export const PROJECTOR_SCRIPT = `
const CYCLE_MS = 8000;
const params = new URLSearchParams(location.search);
let projector = params.get('view') === 'projector';
let slideKey = params.get('slide');
let cycling = params.get('cycle') === '1';
let cycledAt = Date.now();

const slidesOf = (data) => [
  ...Object.keys(data.strategies || {}).map((name) => ({ key: name, title: '/counter/' + name, draw: () => counterCard(name, data) })),
  { key: 'compare', title: 'Every counter since the reset', draw: () => compareTable(data) },
  { key: 'feed', title: 'Connections, not requests', draw: () => feedList(data, 12) },
  { key: 'workers', title: 'The workers', draw: () => workerTable(data, false) },
];

// The largest font size at which the slide fits the stage, found by bisection (a few layouts).
const fitStage = () => {
  const stage = $('stage');
  const fits = () => stage.scrollHeight <= stage.clientHeight + 1 && stage.scrollWidth <= stage.clientWidth + 1;
  let low = 10;
  let high = Math.max(low, Math.floor(Math.min(window.innerHeight / 14, window.innerWidth / 26)));
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    stage.style.fontSize = middle + 'px';
    if (fits()) low = middle;
    else high = middle - 1;
  }
  stage.style.fontSize = low + 'px';
};

const renderProjector = (data) => {
  const slides = slidesOf(data);
  let index = Math.max(0, slides.findIndex((slide) => slide.key === slideKey));
  if (cycling && Date.now() - cycledAt >= CYCLE_MS) {
    index = (index + 1) % slides.length;
    cycledAt = Date.now();
  }
  const slide = slides[index];
  slideKey = slide.key;
  $('slide-title').textContent = slide.title;
  $('slide-count').textContent = (index + 1) + ' / ' + slides.length + (cycling ? ' \\u00b7 cycling' : '');
  const stage = $('stage');
  stage.dataset.slide = slide.key;
  stage.replaceChildren(slide.draw());
  fitStage();
};

const step = (delta) => {
  if (!latest) return;
  const slides = slidesOf(latest);
  const index = Math.max(0, slides.findIndex((slide) => slide.key === slideKey));
  slideKey = slides[(index + delta + slides.length) % slides.length].key;
  cycledAt = Date.now();
  render(latest);
};

const setProjector = (on) => {
  projector = on;
  // The URL says which view (so a reload keeps it); it never carries anything else, least of all a token.
  const query = new URLSearchParams(location.search);
  if (on) query.set('view', 'projector');
  else query.delete('view');
  const search = query.toString();
  history.replaceState(null, '', location.pathname + (search === '' ? '' : '?' + search));
  if (latest) render(latest);
};

document.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey || event.metaKey) return;
  const key = event.key;
  if (key === 'p' || key === 'P') setProjector(!projector);
  else if (!projector) return;
  else if (key === 'ArrowRight' || key === 'ArrowDown' || key === 'PageDown' || key === ' ') step(1);
  else if (key === 'ArrowLeft' || key === 'ArrowUp' || key === 'PageUp') step(-1);
  else if (key === 'c' || key === 'C') { cycling = !cycling; cycledAt = Date.now(); if (latest) render(latest); }
  else if (key === 'Escape') setProjector(false);
  else return;
  event.preventDefault();
});
window.addEventListener('resize', () => { if (projector && latest) fitStage(); });
`;
