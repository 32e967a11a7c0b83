import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { getJson, makeTempDir, pathWithoutRedis, runCli, startCluster, stopAllClusters } from '../helpers/cluster.js';

afterEach(stopAllClusters);

describe('the CLI', () => {
  it.each([
    [['--workers', '0'], 'Expected `--workers` to be an integer from 1 to 64, got `0`.'],
    [['--workers', 'abc'], 'Expected `--workers` to be an integer from 1 to 64, got `abc`.'],
    [['--workers', '1000'], 'Expected `--workers` to be an integer from 1 to 64, got `1000`.'],
    [['--port', '70000'], 'Expected `--port` to be an integer from 0 to 65535, got `70000`.'],
    [['--frobnicate'], 'Unknown option `--frobnicate`; see --help for the options.'],
    [['--state', 'disk'], 'Expected `--state` to be one of memory, ipc, file, redis, got `disk`.'],
    [
      ['--redis-url', 'http://localhost:6379'],
      'Expected `--redis-url` to be a URL like redis://[:password@]host:port[/db].',
    ],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('prints --help and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: npm run cluster -- [options]');
    expect(result.stdout).toContain('--workers <n>');
  });

  describe('with the port taken', () => {
    let blocker: Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => blocker?.close(resolve) ?? resolve(undefined));
    });

    it('says so in one line and exits 1', async () => {
      blocker = createServer();
      const port = await new Promise<number>((resolve) => {
        blocker?.listen(0, '127.0.0.1', () => {
          const address = blocker?.address();
          resolve(typeof address === 'object' && address !== null ? address.port : 0);
        });
      });
      const result = await runCli(['--workers', '2', '--port', String(port), '--redis-url', inject('redisUrl')]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).not.toContain('listening on');
    });
  });

  it('exits 1 with one line when --redis-url does not answer', async () => {
    const result = await runCli(['--workers', '1', '--port', '0', '--redis-url', 'redis://:secret@127.0.0.1:1']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Cannot reach Redis at redis://:***@127.0.0.1:1');
    expect(result.stderr).not.toContain('secret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 with one line when the data dir cannot be written', async () => {
    const result = await runCli(['--workers', '1', '--port', '0', '--data-dir', '/etc/hostname/data']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Cannot write to the data dir /etc/hostname/data (ENOTDIR)');
  });

  describe('on a machine without redis-server and without a URL', () => {
    it('refuses --state redis with the hint, exit code 2', async () => {
      const path = await pathWithoutRedis();
      const result = await runCli(['--state', 'redis', '--port', '0', '--data-dir', await makeTempDir()], {
        PATH: path,
        REDIS_URL: '',
      });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('`--state redis` needs Redis.');
      expect(result.stderr).toContain('--redis-url');
      expect(result.stderr).toContain('apt-get install redis-server');
    });

    it('answers the Redis routes with 503 and the hint, and the rest normally', async () => {
      const path = await pathWithoutRedis();
      const cluster = await startCluster(['--workers', '1', '--db-delay-ms', '0'], {
        autoRedis: true,
        env: { PATH: path, REDIS_URL: '' },
      });
      expect(cluster.stdout()).toContain('redis     not configured');
      for (const route of ['/counter/redis', '/counter/redis-unsafe', '/user/redis/1']) {
        const { status, body } = await getJson<{ error: string; message: string }>(`${cluster.url}${route}`);
        expect(status).toBe(503);
        expect(body.error).toBe('E_REDIS_DISABLED');
        expect(body.message).toContain('--redis-url');
      }
      expect((await getJson(`${cluster.url}/counter/file`)).status).toBe(200);
      expect((await getJson<{ redis: string }>(`${cluster.url}/healthz`)).body.redis).toBe('not configured');
    });
  });
});
