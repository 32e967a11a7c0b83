// Guessing the admin token on a real cluster: the limit holds for the cluster, not per worker, the
// log says who guessed without ever printing a token, and the right token works again after the window.
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, startCluster, stopAllClusters, waitFor } from '../helpers/cluster.js';

const TOKEN = 'abuse-suite-token-abcdefghijklmnop';
const WINDOW_S = 10;

afterEach(stopAllClusters);

const post = (url: string, token: string) =>
  getJson<{ error?: string }>(`${url}/admin/reset`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

describe('failed admin attempts', () => {
  it('are cut to the limit across every worker, logged without the token, and forgiven after the window', async () => {
    const cluster = await startCluster([
      '--workers',
      '3',
      '--admin-token',
      TOKEN,
      '--admin-max-failures',
      '10',
      '--admin-failure-window-s',
      String(WINDOW_S),
    ]);
    // 40 different wrong tokens, 8 at a time, each on a new connection: the round robin spreads them.
    const wrongTokens = Array.from({ length: 40 }, (_, index) => `guess-${index}-${'x'.repeat(20)}`);
    const answers: Awaited<ReturnType<typeof post>>[] = [];
    for (let start = 0; start < wrongTokens.length; start += 8) {
      answers.push(
        ...(await Promise.all(wrongTokens.slice(start, start + 8).map((token) => post(cluster.url, token)))),
      );
    }
    expect(new Set(answers.map((answer) => answer.headers['x-worker-id'])).size).toBeGreaterThanOrEqual(2);
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    for (const answer of answers.filter(({ status }) => status === 429)) {
      expect(answer.body.error).toBe('E_TOO_MANY_ATTEMPTS');
      const retryAfter = Number(answer.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
    }

    // Blocked means blocked: the right token too, or the answer would reveal a good guess.
    expect((await post(cluster.url, TOKEN)).status).toBe(429);

    await cluster.waitForLog(/admin: a wrong or missing token from 127\.0\.0\.1 \(POST \/admin\/reset\)/);
    await cluster.waitForLog(/admin: 127\.0\.0\.1 blocked after 10 failed admin attempt/);
    await cluster.waitForLog(/"event":"admin-attempts"[^\n]*"failed":9,"refused":31/, 5 * WINDOW_S * 1000);
    const logged = `${cluster.stdout()}${cluster.stderr()}`;
    for (const token of [...wrongTokens, TOKEN]) expect(logged).not.toContain(token);
    expect(logged.match(/"event":"admin-auth-failed"/g)).toHaveLength(1);

    // Once the oldest failure is older than the window, the right token works again.
    const reset = await waitFor(
      async () => {
        const answer = await post(cluster.url, TOKEN);
        return answer.status === 429 ? undefined : answer;
      },
      5 * WINDOW_S * 1000,
      'the block to end',
    );
    expect(reset.status).toBe(200);
  });
});
