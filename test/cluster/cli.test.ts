import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, stopAllClusters } from '../helpers/cluster.js';

afterEach(stopAllClusters);

describe('the CLI', () => {
  it.each([
    [['--workers', '0'], 'Expected `--workers` to be an integer from 1 to 64, got `0`.'],
    [['--workers', 'abc'], 'Expected `--workers` to be an integer from 1 to 64, got `abc`.'],
    [['--workers', '1000'], 'Expected `--workers` to be an integer from 1 to 64, got `1000`.'],
    [['--port', '70000'], 'Expected `--port` to be an integer from 0 to 65535, got `70000`.'],
    [['--frobnicate'], 'Unknown option `--frobnicate`; see --help for the options.'],
    [['--state', 'redis'], '`--state` `redis` is not available yet'],
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
      const result = await runCli(['--workers', '2', '--port', String(port)]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).not.toContain('listening on');
    });
  });
});
