// The dashboard in a real (headless) Chromium against a real 4-worker cluster: the bars it draws are
// read back from their data-* attributes. Needs Chromium: `apt-get install -y chromium` on Debian, or
// CHROMIUM_PATH pointing at any Chromium or Chrome binary.
import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../tools/hammer/load.js';
import { type ClusterProcess, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

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

const openDashboard = async (cluster: ClusterProcess): Promise<Page> => {
  if (browser === undefined) throw new Error(`Chromium did not start (${CHROMIUM_PATH}).`);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const response = await page.goto(`${cluster.url}/`);
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
