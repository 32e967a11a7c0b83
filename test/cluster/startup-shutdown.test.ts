import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, runCli, startCluster, stopAllClusters, stopCluster } from '../helpers/cluster.js';

let blocker: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (blocker === undefined ? resolve(undefined) : blocker.close(resolve)));
  blocker = undefined;
  await stopAllClusters();
});

const takePort = (host: string): Promise<number> =>
  new Promise((resolve) => {
    blocker = createServer();
    blocker.listen(0, host, () => {
      const address = blocker?.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });

describe('a port in use', () => {
  it('is one line before anything starts: no private Redis, no worker forked', async () => {
    const port = await takePort('127.0.0.1');
    // No --redis-url: the primary would start a private redis-server first.
    const result = await runCli(['--workers', '2', '--port', String(port)]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `cluster-state-lab: Port ${port} on 127.0.0.1 is already in use; stop what uses it or pick another with --port (0 = any free port).`,
    ]);
    expect(result.stdout).toBe('');
  });
});

describe('a deliberate shutdown', () => {
  it('does not log "Redis down" from the workers closing their own connections', async () => {
    const cluster = await startCluster(['--workers', '2']);
    expect((await getJson(`${cluster.url}/counter/redis`)).status).toBe(200);
    const result = await stopCluster(cluster);
    expect(result.exitCode).toBe(0);
    expect(cluster.stderr()).toMatch(/draining/);
    expect(cluster.stderr()).not.toMatch(/Redis down/);
  });
});
