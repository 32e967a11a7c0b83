import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, type Sample } from '../../../tools/hammer/load.js';

// Small local servers stand in for a cluster: what is tested here is the client.
const servers: (Server | NetServer)[] = [];
const sockets = new Set<Socket>();

const listen = async (server: Server | NetServer): Promise<string> => {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
};

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A lab-like server: counts per "worker", answers with the worker headers and a JSON body. */
const startCounterServer = async (workerId = 1) => {
  let count = 0;
  let connections = 0;
  const server = createHttpServer((request, response) => {
    count += 1;
    response.setHeader('x-worker-id', String(workerId));
    response.setHeader('x-worker-pid', String(1000 + workerId));
    response.setHeader('content-type', 'application/json');
    const body = request.url?.startsWith('/user')
      ? { source: 'cache', data: { user_id: 1 } }
      : { current_count: count, strategy: 'local' };
    response.end(JSON.stringify(body));
  });
  server.on('connection', () => {
    connections += 1;
  });
  const url = await listen(server);
  return { url, connections: () => connections };
};

describe.each([false, true])('runLoad (keepAlive %s)', (keepAlive) => {
  it('sends exactly the requests asked for and reads status, worker and body', async () => {
    const { url, connections } = await startCounterServer();
    const { samples, elapsedMs } = await runLoad({ urls: [`${url}/counter`], requests: 40, concurrency: 4, keepAlive });

    expect(samples).toHaveLength(40);
    expect(samples.every((sample) => sample.status === 200 && sample.error === undefined)).toBe(true);
    expect(samples.every((sample) => sample.workerId === 1 && sample.workerPid === 1001)).toBe(true);
    expect(samples.map((sample) => sample.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 40 }, (_, index) => index + 1),
    );
    expect(elapsedMs).toBeGreaterThan(0);
    // A new connection per request, or one kept connection per lane.
    expect(connections()).toBe(keepAlive ? 4 : 40);
  });

  it('takes the URLs in turn and reads `source` from user answers', async () => {
    const first = await startCounterServer(1);
    const second = await startCounterServer(2);
    const { samples } = await runLoad({
      urls: [`${first.url}/user/1`, `${second.url}/user/1`],
      requests: 10,
      concurrency: 3,
      keepAlive,
    });

    expect(samples.filter((sample) => sample.instance === 0)).toHaveLength(5);
    expect(samples.filter((sample) => sample.instance === 1)).toHaveLength(5);
    for (const sample of samples) {
      expect(sample.workerId).toBe(sample.instance + 1);
      expect(sample.source).toBe('cache');
      expect(sample.count).toBeUndefined();
    }
  });

  it('records a refused connection as a sample, not an exception', async () => {
    const closed = await listen(createNetServer());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const { samples } = await runLoad({ urls: [`${closed}/counter`], requests: 3, concurrency: 2, keepAlive });

    expect(samples).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ status: null, error: 'ECONNREFUSED' })),
    );
  });

  it('gives up on a server that never answers after timeoutMs', async () => {
    const url = await listen(createNetServer(() => {}));
    const started = performance.now();
    const { samples } = await runLoad({ urls: [url], requests: 2, concurrency: 2, keepAlive, timeoutMs: 300 });

    expect(performance.now() - started).toBeLessThan(5000);
    for (const sample of samples) {
      expect(sample.status).toBeNull();
      expect(sample.error).toBe(keepAlive ? 'UND_ERR_HEADERS_TIMEOUT' : 'ETIMEDOUT');
    }
  });

  it('marks an answer cut short as failed, keeping its status and worker', async () => {
    const url = await listen(
      createNetServer((socket) => {
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\nx-worker-id: 3\r\ncontent-length: 100\r\n\r\n{"current_count":');
          setTimeout(() => socket.destroy(), 20);
        });
      }),
    );
    const { samples } = await runLoad({ urls: [url], requests: 1, concurrency: 1, keepAlive });

    expect(samples).toEqual([expect.objectContaining({ status: 200, workerId: 3, error: expect.any(String) })]);
    expect(samples[0]?.count).toBeUndefined();
  });

  it('hands every sample to onSample, keeps none when asked, and stops on abort', async () => {
    const { url } = await startCounterServer();
    const seen: Sample[] = [];
    const controller = new AbortController();
    const { samples } = await runLoad({
      urls: [`${url}/counter`],
      durationMs: 10_000,
      concurrency: 2,
      keepAlive,
      keepSamples: false,
      signal: controller.signal,
      onSample: (sample) => {
        seen.push(sample);
        if (seen.length === 20) controller.abort();
      },
    });

    expect(samples).toEqual([]);
    // The lane that aborted stops at once; the other finishes the request it had in flight.
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.length).toBeLessThanOrEqual(21);
  });
});
