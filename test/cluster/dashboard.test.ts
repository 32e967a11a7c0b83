// The dashboard in a real (headless) Chromium against a real 4-worker cluster: the bars it draws are
// read back from their data-* attributes. Needs Chromium: `apt-get install -y chromium` on Debian, or
// CHROMIUM_PATH pointing at any Chromium or Chrome binary.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStats } from '../../src/stats.js';
import { runLoad } from '../../tools/hammer/load.js';
import type { HammerReport } from '../../tools/hammer/report.js';
import { type ClusterProcess, getJson, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

const HAMMER = fileURLToPath(new URL('../../dist/tools/hammer.js', import.meta.url));
const TOKEN = 'dashboard-suite-token-abcdefghij';
const ADMIN_PATHS = [
  '/admin/reset',
  '/admin/reload',
  '/admin/crash',
  '/admin/kill?worker=1',
  '/admin/redis/stop',
  '/admin/redis/start',
  '/admin/keep-alive?on=0',
];

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOT_DIR = 'test-results';
/** The page polls every 500 ms; a few polls' worth of slack for this busy machine. */
const PAGE_UPDATE_TIMEOUT_MS = 10_000;

interface Bar {
  workerId: number;
  value: number;
}

let browser: Browser | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});
afterEach(async () => {
  await context?.close();
  context = undefined;
  await stopAllClusters();
});
afterAll(async () => {
  await browser?.close();
});

const openDashboard = async (
  cluster: ClusterProcess,
  { path = '/', width = 1280, height = 800 } = {},
): Promise<Page> => {
  if (browser === undefined) throw new Error(`Chromium did not start (${CHROMIUM_PATH}).`);
  context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const response = await page.goto(`${cluster.url}${path}`);
  expect(response?.status()).toBe(200);
  // The page names the worker that rendered it, the same one the response headers name.
  const pageWorker = page.locator('#page-worker');
  expect(await pageWorker.getAttribute('data-worker-id')).toBe(response?.headers()['x-worker-id']);
  expect(await pageWorker.textContent()).toBe(
    `worker ${response?.headers()['x-worker-id']} (pid ${response?.headers()['x-worker-pid']})`,
  );
  return page;
};

/** Every worker bar drawn for one strategy, read in one go so that they come from one redraw. */
const readBars = (page: Page, strategy: string): Promise<Bar[]> =>
  page.locator(`[data-strategy="${strategy}"][data-worker-id]`).evaluateAll((bars) =>
    bars.map((bar) => ({
      workerId: Number(bar.getAttribute('data-worker-id')),
      value: Number(bar.getAttribute('data-value')),
    })),
  );

const sum = (bars: readonly Bar[]): number => bars.reduce((total, bar) => total + bar.value, 0);

describe('the dashboard at GET /', () => {
  it('draws one local bar per worker, and the bars add up to every request', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const page = await openDashboard(cluster);

    const { samples } = await runLoad({
      urls: [`${cluster.url}/counter`],
      requests: 400,
      concurrency: 20,
      keepAlive: false,
    });
    expect(samples.filter((sample) => sample.status === 200)).toHaveLength(400);

    const bars = await waitFor(
      async () => {
        const drawn = await readBars(page, 'local');
        return drawn.length === 4 && sum(drawn) === 400 ? drawn : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      '4 local bars adding up to 400 on the page',
    );
    expect(sum(bars)).toBe(400);
    // The lesson on screen: no single worker counted them all.
    expect(Math.max(...bars.map((bar) => bar.value))).toBeLessThan(400);
    expect(await page.locator('[data-strategy-total="local"]').getAttribute('data-value')).toBe('400');
    // The poll's own answer says which worker served it.
    expect(await page.locator('#poll-worker').textContent()).toMatch(/^worker \d+ \(pid \d+\)$/);

    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/dashboard.png`, fullPage: true });
  });

  it('drops a SIGKILLed worker and shows its replacement', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const page = await openDashboard(cluster);
    const before = await waitFor(
      async () => {
        const drawn = await readBars(page, 'local');
        return drawn.length === 4 ? drawn : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      '4 local bars on the page',
    );

    // Kill the worker this page is talking to: the hardest case, its keep-alive connection dies too.
    const victimId = Number(await page.locator('#poll-worker').getAttribute('data-worker-id'));
    const victimPid = Number(/pid (\d+)/.exec((await page.locator('#poll-worker').textContent()) ?? '')?.[1]);
    expect(cluster.workerPids).toContain(victimPid);
    process.kill(victimPid, 'SIGKILL');

    const after = await waitFor(
      async () => {
        const drawn = await readBars(page, 'local');
        const ids = drawn.map((bar) => bar.workerId);
        const replaced = ids.some((id) => !before.some((bar) => bar.workerId === id));
        return drawn.length === 4 && !ids.includes(victimId) && replaced ? drawn : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      `worker ${victimId} to leave the page and a replacement to appear`,
    );
    expect(after.map((bar) => bar.workerId)).not.toContain(victimId);
    expect(await page.locator('[data-stat="restarts"]').textContent()).toBe('1');
    expect(await page.locator('#poll-worker').getAttribute('data-worker-id')).not.toBe(String(victimId));
  });
});

const clusterStats = async (cluster: ClusterProcess): Promise<ClusterStats> =>
  (await getJson<ClusterStats>(`${cluster.url}/cluster`, { timeoutMs: 5000 })).body;

/** A card's numbers as drawn: its data-* attributes, read in one go. */
const readCard = (page: Page, strategy: string) =>
  page.locator(`[data-card="${strategy}"]`).evaluate((card) => ({
    kind: card.getAttribute('data-kind'),
    expected: Number(card.getAttribute('data-expected')),
    trueTotal: Number(card.getAttribute('data-true-total')),
    lost: Number(card.getAttribute('data-lost')),
    largest: Number(card.getAttribute('data-largest')),
  }));

describe('the dashboard tells right from wrong', () => {
  it('shows the numbers the hammer reports for 400 /counter/unsafe: expected, true total, lost', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const page = await openDashboard(cluster);
    const run = await execa('node', [HAMMER, `${cluster.url}/counter/unsafe`, '-n', '400', '-c', '20', '--json'], {
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as HammerReport;
    expect(report).toMatchObject({ ok: 400, expected: 400, basis: 'cluster' });

    const drawn = await waitFor(
      async () => {
        const card = await readCard(page, 'unsafe');
        return card.expected === 400 ? card : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      'the unsafe card to show 400 answers',
    );
    expect(drawn).toEqual({
      kind: 'lost',
      expected: report.expected,
      trueTotal: report.true_total,
      lost: report.lost,
      largest: report.largest_seen,
    });
    // Wrong looks wrong: a ✘ badge; right looks right (ipc, untouched here, is idle; local exact after a run).
    expect(await page.locator('[data-card="unsafe"] .badge').textContent()).toBe(`✘ ${report.lost} of 400 lost`);
    expect(await page.locator('[data-card="unsafe"]').getAttribute('class')).toContain('wrong');
  });

  it('keeps a ghost of a kill -9 with its pid, and an empty gap of exactly what it took', async () => {
    const cluster = await startCluster(['--workers', '4']);
    const page = await openDashboard(cluster);
    await runLoad({ urls: [`${cluster.url}/counter/local`], requests: 400, concurrency: 20 });
    // The primary has the load once its /cluster shows it (reading it is one of each worker's reports).
    const loaded = await waitFor(
      async () => {
        const stats = await clusterStats(cluster);
        return stats.totals.counters.local === 400 ? stats : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      '/cluster to show the 400 increments',
    );
    const victim = [...loaded.workers].sort((a, b) => (b.counters.local ?? 0) - (a.counters.local ?? 0))[0];
    if (victim === undefined) throw new Error('no worker');
    const held = victim.counters.local ?? 0;
    process.kill(victim.pid, 'SIGKILL');

    const ghost = page.locator(`[data-card="local"] [data-ghost-pid="${victim.pid}"]`);
    await ghost.waitFor({ timeout: PAGE_UPDATE_TIMEOUT_MS });
    expect(await ghost.getAttribute('data-took')).toBe(String(held));
    expect(await ghost.textContent()).toContain(`pid ${victim.pid}`);
    expect(await ghost.textContent()).toContain(`took ${held}`);
    const card = await readCard(page, 'local');
    expect(card).toMatchObject({ kind: 'lost', expected: 400, trueTotal: 400 - held, lost: held });

    // The sum bar is drawn on the scale of the answers: the loss is empty space of its size.
    const gap = page.locator('[data-gap="local"]');
    expect(await gap.getAttribute('data-value')).toBe(String(held));
    // The bars ease to their new widths: read the boxes once the gap has grown to its size (on a
    // busy machine the first frame after the update can still show it at 0).
    const boxes = async () =>
      Promise.all([gap.boundingBox(), page.locator('[data-strategy-total="local"] .track').boundingBox()]);
    const [gapBox, trackBox] = await waitFor(
      async () => {
        const [gapNow, trackNow] = await boxes();
        const share = (gapNow?.width ?? 0) / (trackNow?.width ?? 1);
        return Math.abs(share - held / 400) < 0.005 ? [gapNow, trackNow] : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      `the gap to be drawn at ${held} of 400`,
    );
    expect((gapBox?.width ?? 0) / (trackBox?.width ?? 1)).toBeCloseTo(held / 400, 2);
    expect((gapBox?.x ?? 0) + (gapBox?.width ?? 0)).toBeCloseTo((trackBox?.x ?? 0) + (trackBox?.width ?? 0), 0);
  });

  it('fits every slide of the projector view into 1280×720, stepped with the arrow keys', async () => {
    const cluster = await startCluster(['--workers', '4']);
    for (const strategy of ['local', 'unsafe', 'ipc']) {
      await runLoad({ urls: [`${cluster.url}/counter/${strategy}`], requests: 100, concurrency: 10 });
    }
    const [victim] = (await clusterStats(cluster)).workers;
    process.kill(victim?.pid ?? 0, 'SIGKILL');
    await waitFor(
      async () => ((await clusterStats(cluster)).ghosts.length === 1 ? true : undefined),
      PAGE_UPDATE_TIMEOUT_MS,
      'the ghost',
    );
    const page = await openDashboard(cluster, { path: '/?view=projector', width: 1280, height: 720 });
    await page.locator('#stage > *').first().waitFor();
    const slides = Object.keys((await clusterStats(cluster)).strategies).length + 3;
    const seen: string[] = [];
    for (let slide = 0; slide < slides; slide += 1) {
      const key = await page.locator('#stage').getAttribute('data-slide');
      seen.push(key ?? '');
      const past = await page.locator('body *').evaluateAll(
        (nodes, [width, height]) =>
          nodes
            .filter((node) => {
              const box = node.getBoundingClientRect();
              return box.height > 0 && (box.bottom > (height as number) + 0.5 || box.right > (width as number) + 0.5);
            })
            .map((node) => `${node.tagName}.${node.className}`),
        [1280, 720],
      );
      expect(past, `slide ${key}`).toEqual([]);
      const fontSize = await page.locator('#stage').evaluate((stage) => Number.parseFloat(stage.style.fontSize));
      // Large enough for the back of the room.
      expect(fontSize, `slide ${key}`).toBeGreaterThanOrEqual(20);
      await page.keyboard.press('ArrowRight');
      await waitFor(
        async () => ((await page.locator('#stage').getAttribute('data-slide')) !== key ? true : undefined),
        PAGE_UPDATE_TIMEOUT_MS,
        'the next slide',
      );
    }
    expect(new Set(seen).size).toBe(slides);
    expect(seen).toEqual(expect.arrayContaining(['local', 'unsafe', 'compare', 'feed', 'workers']));
    // P leaves the projector view.
    await page.keyboard.press('p');
    await page.locator('#counters [data-card="local"]').waitFor();
  });
});

describe("the instructor's controls on the dashboard", () => {
  it('reset clears counters and caches, with the token typed once into the page (never into the URL)', async () => {
    const cluster = await startCluster(['--workers', '2', '--db-delay-ms', '0'], { env: { ADMIN_TOKEN: TOKEN } });
    for (const path of ['/counter/local', '/user/1', '/user/lru/1', '/user/ttl/1']) {
      await runLoad({ urls: [`${cluster.url}${path}`], requests: 20, concurrency: 4 });
    }
    const page = await openDashboard(cluster);
    await page.locator('#controls').waitFor({ state: 'visible', timeout: PAGE_UPDATE_TIMEOUT_MS });
    await page.locator('#token').fill(TOKEN);
    await page.locator('#token').press('Enter');
    await waitFor(
      async () => ((await readCard(page, 'local')).expected === 20 ? true : undefined),
      PAGE_UPDATE_TIMEOUT_MS,
      'the load on the page',
    );
    await page.locator('[data-action="reset"]').click();

    await waitFor(
      async () => {
        const card = await readCard(page, 'local');
        const cells = await page
          .locator('[data-worker-row] [data-cache]')
          .evaluateAll((nodes) =>
            nodes.map((node) => [
              node.getAttribute('data-size'),
              node.getAttribute('data-hits'),
              node.getAttribute('data-misses'),
            ]),
          );
        const requests = await page
          .locator('[data-worker-row] [data-requests]')
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-requests')));
        const clean =
          card.kind === 'idle' &&
          cells.length > 0 &&
          cells.every(([size, hits, misses]) => (size === '' || size === '0') && hits === '0' && misses === '0') &&
          requests.every((value) => value === '0');
        return clean ? true : undefined;
      },
      PAGE_UPDATE_TIMEOUT_MS,
      'counters, caches and request counts at 0 on the page',
    );
    expect(await page.locator('#action-result').textContent()).toMatch(/^Reset: everything since/);
    expect(page.url()).not.toContain(TOKEN);
    expect(`${cluster.stdout()}${cluster.stderr()}`).not.toContain(TOKEN);
    const stats = await clusterStats(cluster);
    expect(stats.totals).toMatchObject({ requests: 0, db_calls: 0 });
    expect(stats.workers.every((worker) => worker.counters.local === 0 && worker.caches.map?.size === 0)).toBe(true);
  });

  it('are absent without an admin token, and so are the admin routes (404)', async () => {
    const cluster = await startCluster(['--workers', '2']);
    const page = await openDashboard(cluster);
    await page.locator('[data-card="local"]').waitFor();
    expect(await page.locator('#controls').isHidden()).toBe(true);
    expect(await page.locator('button.kill').count()).toBe(0);
    for (const path of ADMIN_PATHS) {
      const { status } = await getJson(`${cluster.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect({ path, status }).toEqual({ path, status: 404 });
    }
  });
});
