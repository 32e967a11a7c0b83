import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { renderDashboard } from '../../src/dashboard/page.js';
import { DASHBOARD_SCRIPT } from '../../src/dashboard/script.js';

const SERVED_BY = { instance: 'test', id: 3, pid: 4242 };

describe('the dashboard page', () => {
  const html = renderDashboard(SERVED_BY);

  it('names the worker that rendered it', () => {
    expect(html).toContain('worker 3 (pid 4242)');
    expect(html).toMatch(/id="page-worker"[^>]*data-worker-id="3" data-worker-pid="4242"/);
  });

  it('is self-contained: nothing to fetch from elsewhere, so it works offline', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\/\/[a-z0-9-]+\./i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=|<link[^>]*stylesheet|@import|url\(/i);
    for (const [, target] of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) expect(target).toMatch(/^(data:|\/cluster$)/);
    expect(html).toContain("default-src 'none'");
  });

  it('polls /cluster twice a second without the HTTP cache', () => {
    expect(DASHBOARD_SCRIPT).toContain('POLL_MS = 500');
    expect(DASHBOARD_SCRIPT).toContain("cache: 'no-store'");
  });

  it('ships browser code that parses', () => {
    expect(() => new Script(DASHBOARD_SCRIPT)).not.toThrow();
  });

  it('stays small: one request, no build step, nothing fetched', () => {
    // The cards, the projector view, the feed and the instructor's controls: about 35 kB.
    expect(Buffer.byteLength(html)).toBeLessThan(50_000);
  });
});
