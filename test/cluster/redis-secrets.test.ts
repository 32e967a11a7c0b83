// Secrets stay secret: a Redis password in any form of URL is redacted everywhere the lab shows the
// URL, and secrets can come from the environment or a file instead of the command line (where `ps`
// shows them to every local user); the workers carry none of them in argv or environment.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../src/redis/server.js';
import { getJson, makeTempDir, runCli, startCluster, stopAllClusters } from '../helpers/cluster.js';

const SECRET = 'pw-Query-Secret-8c1f';
const TOKEN = 'file-admin-token-0123456789abcdef';
const CACHE_KEY = 'ab'.repeat(32);

let server: RedisServer | undefined;
afterEach(async () => {
  await stopAllClusters();
  await server?.stop();
  server = undefined;
});

describe('a Redis password in the URL', () => {
  it('is used but never shown: banner, logs, /stats, /cluster and /healthz say *** (query-string form)', async () => {
    server = await startRedisServer({ dir: await makeTempDir(), appendOnly: false, password: SECRET });
    const url = `redis://127.0.0.1:${server.port}/0?username=default&password=${SECRET}`;
    const cluster = await startCluster(['--workers', '1', '--redis-url', url]);
    // The password is really in use: this Redis refuses anyone without it.
    expect((await getJson(`${cluster.url}/counter/redis`)).status).toBe(200);
    expect(cluster.stdout()).toContain('password=***');
    const shown = [cluster.stdout(), cluster.stderr()];
    for (const route of ['/stats', '/cluster', '/healthz']) {
      shown.push(JSON.stringify((await getJson(`${cluster.url}${route}`)).body));
    }
    for (const text of shown) expect(text).not.toContain(SECRET);
  });

  it.each([
    `redis://user:${SECRET}@127.0.0.1:1`,
    `redis://:${SECRET}@127.0.0.1:1/2`,
    `rediss://127.0.0.1:1/?password=${SECRET}`,
    `redis://127.0.0.1:1/0?username=user&password=${SECRET}`,
    `redis://${SECRET}@127.0.0.1:1`,
  ])('is redacted in the "cannot reach" line for %s', async (url) => {
    const result = await runCli(['--workers', '1', '--port', '0', '--redis-url', url]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Cannot reach Redis at');
    expect(result.stderr).toContain('***');
    expect(`${result.stdout}${result.stderr}`).not.toContain(SECRET);
  });
});

describe('secrets kept off the command line', () => {
  it("takes the admin token from a file and keeps secrets out of the workers' argv and environment", async () => {
    const tokenFile = join(await makeTempDir(), 'admin-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    await chmod(tokenFile, 0o600);
    const cluster = await startCluster(['--workers', '2', '--admin-token-file', tokenFile], {
      env: { CACHE_KEY },
    });
    const reset = await getJson(`${cluster.url}/admin/reset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(reset.status).toBe(200);
    expect(
      (await getJson<{ caches: { redis: { encrypted: boolean } } }>(`${cluster.url}/stats`)).body.caches.redis
        .encrypted,
    ).toBe(true);
    for (const pid of cluster.workerPids) {
      for (const file of ['cmdline', 'environ']) {
        const text = await readFile(`/proc/${pid}/${file}`, 'utf8');
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain(CACHE_KEY);
      }
    }
    expect(await readFile(`/proc/${cluster.primaryPid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    expect(cluster.stderr()).not.toMatch(/on the command line/);
  });

  it('warns once per secret given as an argument, naming the safer ways, never the secret', async () => {
    const cluster = await startCluster(['--workers', '1', '--admin-token', TOKEN, '--cache-key', CACHE_KEY]);
    const warnings = cluster
      .stderr()
      .split('\n')
      .filter((line) => line.includes('on the command line'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/`--admin-token`.*ADMIN_TOKEN.*--admin-token-file/);
    expect(warnings[1]).toMatch(/`--cache-key`.*CACHE_KEY.*--cache-key-file/);
    expect(`${cluster.stdout()}${cluster.stderr()}`).not.toContain(TOKEN);
    expect(`${cluster.stdout()}${cluster.stderr()}`).not.toContain(CACHE_KEY);
  });
});
