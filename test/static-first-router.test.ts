import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { REMEMBERED_PATHS, StaticFirstRouter } from '../src/static-first-router.js';

// The lab's route shapes: literal paths, parameters beside literals, a middleware on a wildcard.
const appWith = () => {
  const app = new Hono({ router: new StaticFirstRouter() });
  const { router } = app;
  if (!(router instanceof StaticFirstRouter)) throw new Error('The app is not on StaticFirstRouter.');
  const seen: string[] = [];
  app.use('/admin/*', async (c, next) => {
    seen.push(`guard ${c.req.path}`);
    await next();
  });
  app.get('/counter/local', (c) => c.text('local'));
  app.get('/user/:id', (c) => c.text(`map ${c.req.param('id')}`));
  app.get('/user/lru/:id', (c) => c.text(`lru ${c.req.param('id')}`));
  app.post('/admin/reset', (c) => c.text('reset'));
  return { app, seen, router };
};

describe('StaticFirstRouter', () => {
  it('answers as the tree does, the second time from memory, parameters included', async () => {
    const { app, seen } = appWith();
    for (let round = 0; round < 2; round += 1) {
      expect(await (await app.request('/counter/local')).text()).toBe('local');
      expect(await (await app.request('/user/7')).text()).toBe('map 7');
      expect(await (await app.request('/user/lru/8')).text()).toBe('lru 8');
      expect(await (await app.request('/user/lru/9')).text()).toBe('lru 9');
      expect((await app.request('/admin/reset', { method: 'POST' })).status).toBe(200);
      expect((await app.request('/counter/local', { method: 'POST' })).status).toBe(404);
      expect((await app.request('/nowhere')).status).toBe(404);
    }
    // The middleware ran on each of the two remembered matches.
    expect(seen).toEqual(['guard /admin/reset', 'guard /admin/reset']);
  });

  it('forgets what it remembered when a route is added', async () => {
    const { app } = appWith();
    // Remembered: no POST route at this literal path.
    expect((await app.request('/counter/local', { method: 'POST' })).status).toBe(404);
    app.post('/counter/local', (c) => c.text('posted'));
    expect(await (await app.request('/counter/local', { method: 'POST' })).text()).toBe('posted');
  });

  it('remembers a bounded number of new paths: a client sending new ids cannot grow it', async () => {
    const { app, router } = appWith();
    expect(await (await app.request('/counter/local')).text()).toBe('local');
    for (let id = 0; id < REMEMBERED_PATHS * 3; id += 1) {
      // Each answer still the tree's: the right handler, the right id, before and after forgetting.
      expect(await (await app.request(`/user/lru/${id}`)).text()).toBe(`lru ${id}`);
      expect(router.size).toBeLessThanOrEqual(REMEMBERED_PATHS + 1);
    }
    expect((await app.request('/nowhere/0')).status).toBe(404);
    expect(await (await app.request('/user/lru/5')).text()).toBe('lru 5');
    expect(await (await app.request('/user/5')).text()).toBe('map 5');
  });
});
