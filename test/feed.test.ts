import { describe, expect, it } from 'vitest';
import { createFeed, FEED_CAPACITY, isUncounted } from '../src/feed.js';

const worker = { instance: 'host-1', id: 1, pid: 101 };

describe('the live feed of one worker', () => {
  it('hands over the requests since the last take, oldest first, and empties', () => {
    const feed = createFeed(worker);
    feed.add('GET', '/counter/local', 200, '127.0.0.1', 5001);
    feed.add('GET', '/user/1', 404, '10.0.0.7', 5002);
    expect(feed.take().map(({ path, status, port }) => [path, status, port])).toEqual([
      ['/counter/local', 200, 5001],
      ['/user/1', 404, 5002],
    ]);
    expect(feed.take()).toEqual([]);
  });

  it(`keeps only the newest ${FEED_CAPACITY} between two takes`, () => {
    const feed = createFeed(worker);
    for (let port = 1; port <= FEED_CAPACITY + 5; port += 1) feed.add('GET', '/counter', 200, '::1', port);
    const taken = feed.take();
    expect(taken).toHaveLength(FEED_CAPACITY);
    expect(taken[0]?.port).toBe(6);
    expect(taken.at(-1)?.port).toBe(FEED_CAPACITY + 5);
  });

  it("leaves out the dashboard's polls, scrapes, health checks and admin routes", () => {
    for (const path of ['/', '/cluster', '/metrics', '/healthz', '/admin/reset']) expect(isUncounted(path)).toBe(true);
    for (const path of ['/counter', '/stats', '/user/1']) expect(isUncounted(path)).toBe(false);
  });
});
