// The private redis-server the primary starts when no URL is given: nobody else on the machine may
// use it (a password, 0700 files), it is supervised like a worker (restarted after kill -9, with its
// data), and a primary killed with SIGKILL does not block the next start (its orphan is cleaned up).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClusterProcess,
  expectPid,
  getJson,
  isAlive,
  makeTempDir,
  runCli,
  startCluster,
  stopAllClusters,
  stopCluster,
  waitFor,
} from '../helpers/cluster.js';

afterEach(stopAllClusters);

/** The private redis-server's pids in the order the primary reported them (start, then restarts). */
const redisPids = (cluster: ClusterProcess): number[] =>
  [
    ...cluster.stderr().matchAll(/(?:started a private redis-server|private redis-server restarted) \(pid (\d+)\)/g),
  ].map((match) => expectPid(Number(match[1])));
const redisPidOf = (cluster: ClusterProcess): number => expectPid(redisPids(cluster).at(-1));
const redisPortOf = (cluster: ClusterProcess): number => Number(new URL(cluster.ready.redis?.url ?? '').port);

const count = async (cluster: ClusterProcess): Promise<number> => {
  const { status, body } = await getJson<{ current_count: number }>(`${cluster.url}/counter/redis`);
  expect(status).toBe(200);
  return body.current_count;
};

/** Every file and directory under `dir`, with its permission bits. */
const modesUnder = async (dir: string): Promise<{ path: string; mode: number }[]> => {
  const entries = await readdir(dir, { recursive: true });
  return Promise.all(
    entries.map(async (entry) => ({ path: entry, mode: (await stat(join(dir, entry))).mode & 0o777 })),
  );
};

/** A command as another local user: the machine's unprivileged `nobody`. */
const asNobody = (command: string, args: string[]) =>
  execa('runuser', ['-u', 'nobody', '--', command, ...args], { reject: false, timeout: 10_000 });

describe('the private redis-server and the other users of the machine', () => {
  it('refuses an unauthenticated client, keeps its files 0700/0600, and never prints its password', async () => {
    // A data dir the lab creates itself (a temp dir from mkdtemp would be 0700 already).
    const dataDir = join(await makeTempDir(), 'fresh', 'data');
    const cluster = await startCluster(['--workers', '1', '--data-dir', dataDir], { autoRedis: true });
    const port = String(redisPortOf(cluster));
    expect(await count(cluster)).toBe(1);

    for (const command of [
      ['SET', 'counter', '1000000'],
      ['GET', 'user:7'],
      ['SHUTDOWN', 'NOSAVE'],
    ]) {
      const result = await asNobody('redis-cli', ['-p', port, ...command]);
      expect(`${result.stdout}${result.stderr}`).toContain('NOAUTH');
    }
    expect(await count(cluster)).toBe(2);

    const redisDir = join(dataDir, 'redis');
    const passwordFile = join(redisDir, 'password');
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(redisDir)).mode & 0o777).toBe(0o700);
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    const modes = await modesUnder(redisDir);
    expect(modes.map(({ path }) => path)).toEqual(expect.arrayContaining(['password', 'appendonlydir']));
    expect(modes.filter(({ mode }) => (mode & 0o077) !== 0)).toEqual([]);
    expect((await asNobody('cat', [passwordFile])).exitCode).not.toBe(0);

    const password = (await readFile(passwordFile, 'utf8')).trim();
    expect(password.length).toBeGreaterThanOrEqual(32);
    const shown = `${cluster.stdout()}${cluster.stderr()}`;
    expect(shown).not.toContain(password);
    for (const route of ['/stats', '/cluster', '/healthz']) {
      expect(JSON.stringify((await getJson(`${cluster.url}${route}`)).body)).not.toContain(password);
    }
    // Neither the redis-server's command line nor its environment carries the password (ps, /proc).
    const redisPid = redisPidOf(cluster);
    for (const file of ['cmdline', 'environ']) {
      expect(await readFile(`/proc/${redisPid}/${file}`, 'utf8')).not.toContain(password);
    }

    // The banner says how to reach it with redis-cli, and that command works as printed.
    const hint = /redis-cli (REDISCLI_AUTH=.*? redis-cli -p \d+)$/m.exec(cluster.stdout())?.[1];
    expect(hint).toBeDefined();
    const viaHint = await execa('sh', ['-c', `${hint} GET counter`], { reject: false, timeout: 10_000 });
    expect(viaHint.stdout.trim()).toBe('2');
  });
});

describe('supervising the private redis-server', () => {
  it('restarts it after kill -9 on the same port with its data, and the Redis routes recover', async () => {
    const dataDir = await makeTempDir();
    const cluster = await startCluster(['--workers', '2', '--data-dir', dataDir], { autoRedis: true });
    for (let request = 0; request < 3; request += 1) await count(cluster);
    const port = redisPortOf(cluster);
    const killed = redisPidOf(cluster);
    // appendfsync everysec: a reply may leave before its write reaches the append-only file when a
    // background fsync is slow (Redis postpones the write up to 2 s). Kill once the buffer is written.
    const password = (await readFile(join(dataDir, 'redis', 'password'), 'utf8')).trim();
    await waitFor(
      async () => {
        const info = await execa('redis-cli', ['-p', String(port), 'INFO', 'persistence'], {
          env: { REDISCLI_AUTH: password },
          reject: false,
        });
        return /aof_buffer_length:0\r?$/m.test(info.stdout) ? true : undefined;
      },
      15_000,
      'the append-only file to hold every answered write',
    );

    process.kill(killed, 'SIGKILL');
    // A hang guard, not a timing: the README promises about a second; the report gives the figure.
    const answer = await waitFor(
      async () => {
        const { status, body } = await getJson<{ current_count: number }>(`${cluster.url}/counter/redis`);
        return status === 200 ? body.current_count : undefined;
      },
      20_000,
      '/counter/redis to answer 200 after the private redis-server was killed',
    );
    // Its append-only file kept the three increments made before the kill.
    expect(answer).toBe(4);
    expect(cluster.stderr()).toMatch(new RegExp(`private redis-server \\(pid ${killed}\\) was killed by SIGKILL`));
    const restarted = redisPidOf(cluster);
    expect(restarted).not.toBe(killed);
    expect(isAlive(restarted)).toBe(true);
    expect(redisPortOf(cluster)).toBe(port);
    expect(cluster.stderr()).toMatch(
      new RegExp(`private redis-server restarted \\(pid ${restarted}\\) on port ${port}`),
    );

    const result = await stopCluster(cluster);
    expect(result.exitCode).toBe(0);
    expect(cluster.stderr()).toContain(`stopped the private redis-server (pid ${restarted})`);
    expect(cluster.stderr()).not.toContain(`stopped the private redis-server (pid ${killed})`);
    expect(isAlive(restarted)).toBe(false);
  });

  it('gives up on one that keeps dying, says so, serves on without Redis, and does not claim to stop it', async () => {
    const cluster = await startCluster(['--workers', '1'], { autoRedis: true });
    const gaveUp = /private redis-server died \d+ times within \d+ s; not restarting it again/;
    // Kill each new redis-server as soon as the primary reports it, until the primary stops trying.
    for (let round = 0; !gaveUp.test(cluster.stderr()); round += 1) {
      expect(round).toBeLessThan(20);
      const pids = redisPids(cluster);
      process.kill(expectPid(pids.at(-1)), 'SIGKILL');
      await waitFor(
        () => (gaveUp.test(cluster.stderr()) || redisPids(cluster).length > pids.length ? true : undefined),
        20_000,
        'a restart or the give-up line',
      );
    }
    const { status, body } = await getJson<{ error: string }>(`${cluster.url}/counter/redis`);
    expect(status).toBe(503);
    expect(body.error).toBe('E_REDIS_DOWN');
    expect((await getJson(`${cluster.url}/counter/local`)).status).toBe(200);

    const result = await stopCluster(cluster);
    expect(result.exitCode).toBe(0);
    expect(cluster.stderr()).not.toContain('stopped the private redis-server');
    expect(cluster.stderr()).toMatch(/private redis-server was not running \(it died/);
  });
});

describe('a primary killed with SIGKILL', () => {
  it('does not block the next start: the orphan redis-server is stopped at once and its data kept', async () => {
    const dataDir = await makeTempDir();
    const first = await startCluster(['--workers', '2', '--data-dir', dataDir], { autoRedis: true });
    for (let request = 0; request < 3; request += 1) await count(first);
    const orphan = redisPidOf(first);

    process.kill(first.primaryPid, 'SIGKILL');
    await first.child;
    expect(isAlive(orphan)).toBe(true);

    const second = await startCluster(['--workers', '2', '--data-dir', dataDir], { autoRedis: true });
    expect(second.stderr()).toMatch(
      new RegExp(
        `primary \\(pid ${first.primaryPid}\\) is gone: stopped the redis-server it left running \\(pid ${orphan}`,
      ),
    );
    expect(isAlive(orphan)).toBe(false);
    expect(await count(second)).toBe(4);
  });

  it('still refuses a second cluster while the first one lives', async () => {
    const dataDir = await makeTempDir();
    const first = await startCluster(['--workers', '1', '--data-dir', dataDir], { autoRedis: true });
    const result = await runCli(['--workers', '1', '--port', '0', '--data-dir', dataDir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Another cluster (primary pid ${first.primaryPid}) runs its private redis-server`);
    expect(await count(first)).toBe(1);
  });
});

describe('a Ctrl-C in the terminal', () => {
  it('reaches the lab, not its private Redis: no restart, the primary stops it last, nothing left running', async () => {
    const cluster = await startCluster(['--workers', '2'], { autoRedis: true, detached: true });
    const redisPid = redisPidOf(cluster);
    expect(await count(cluster)).toBe(1);
    // As a terminal's Ctrl-C does: SIGINT to every process of the cluster's process group.
    process.kill(-cluster.primaryPid, 'SIGINT');
    const result = await cluster.child;
    expect(result.exitCode).toBe(0);
    expect(cluster.stderr()).not.toMatch(/private redis-server restarted|was killed by SIGINT/);
    expect(cluster.stderr()).toMatch(new RegExp(`stopped the private redis-server \\(pid ${redisPid}\\)`));
    await waitFor(() => (isAlive(redisPid) ? undefined : true), 15_000, 'the private redis-server to exit');
  });
});
