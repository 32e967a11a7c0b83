#!/usr/bin/env node
// `npm run screenshots`: regenerate the dashboard pictures in docs/ from a real cluster — 4 workers,
// 400 requests to every counter, one worker SIGKILLed once the primary has its numbers, a replacement,
// a kept-alive client in the feed — photographed by Debian's Chromium (CHROMIUM_PATH to use another):
// docs/dashboard.png (the normal view, instructor controls unlocked) and docs/projector.png (the
// projector view of /counter/local at 1280×720).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { runMain } from '../src/run-main.js';
import { sleep } from '../src/sleep.js';
import type { ClusterStats } from '../src/stats.js';
import { runLoad } from './hammer/load.js';
import { requestJson } from './lib/http-json.js';
import { ProcessGroup, startServer } from './lib/processes.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const REQUESTS_PER_COUNTER = 400;
const WAIT_MS = 15_000;

const cluster = async (url: string): Promise<ClusterStats> =>
  (await requestJson<ClusterStats>(`${url}/cluster`, { timeoutMs: 5000 })).body;

/** Poll /cluster until `ready` says yes. */
const waitForCluster = async (url: string, ready: (stats: ClusterStats) => boolean, what: string) => {
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await sleep(100)) {
    const stats = await cluster(url).catch(() => undefined);
    if (stats !== undefined && ready(stats)) return stats;
  }
  throw new Error(`Timed out waiting for ${what}.`);
};

const main = async (): Promise<number> => {
  const group = new ProcessGroup();
  const dataDir = await mkdtemp(join(tmpdir(), 'cluster-state-lab-screenshots-'));
  const token = randomBytes(16).toString('hex');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const lab = await startServer({
      group,
      label: 'lab',
      args: [CLI, '--log-format', 'json', '--port', '0', '--workers', '4', '--data-dir', dataDir],
      // Through the environment: a token on the command line would show in `ps`.
      env: { ...process.env, ADMIN_TOKEN: token },
    });
    const strategies = Object.keys((await cluster(lab.url)).strategies);
    for (const strategy of strategies) {
      await runLoad({ urls: [`${lab.url}/counter/${strategy}`], requests: REQUESTS_PER_COUNTER, concurrency: 20 });
    }
    for (const path of ['/user', '/user/lru', '/user/ttl', '/user/redis']) {
      await runLoad({
        urls: [1, 2, 3, 1, 2, 3, 4, 1].map((id) => `${lab.url}${path}/${id}`),
        requests: 24,
        concurrency: 4,
      });
    }
    // Kill worker 2 once the primary has its numbers (a /cluster read is one of its reports).
    const before = await cluster(lab.url);
    const victim = before.workers[1] ?? before.workers[0];
    if (victim === undefined) throw new Error('No worker to kill.');
    process.kill(victim.pid, 'SIGKILL');
    await waitForCluster(
      lab.url,
      (stats) => stats.workers.length === 4 && stats.ghosts.some((ghost) => ghost.pid === victim.pid),
      'the ghost and the replacement',
    );
    // The feed: a kept-alive client (one connection, one worker), then new connections.
    await runLoad({ urls: [`${lab.url}/counter/local`], requests: 6, concurrency: 1, keepAlive: true });
    await runLoad({ urls: [`${lab.url}/stats`], requests: 6, concurrency: 1 });

    await mkdir(DOCS, { recursive: true });
    const normal = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await normal.goto(`${lab.url}/`);
    await normal.locator('#token').fill(token);
    await normal.locator('#token').press('Enter');
    await normal.locator('[data-card="local"][data-kind]').first().waitFor();
    await normal.locator('button.kill').first().waitFor();
    await normal.screenshot({ path: join(DOCS, 'dashboard.png'), fullPage: true });

    const projector = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await projector.goto(`${lab.url}/?view=projector&slide=local`);
    await projector.locator('#stage [data-card="local"]').waitFor();
    await projector.screenshot({ path: join(DOCS, 'projector.png') });
    process.stdout.write(`wrote ${join(DOCS, 'dashboard.png')} and ${join(DOCS, 'projector.png')}\n`);
    return 0;
  } finally {
    await browser.close();
    await group.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  }
};

runMain('screenshots', main);
