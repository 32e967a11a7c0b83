import type { Worker } from 'node:cluster';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PrimaryChannel } from '../../src/ipc/protocol.js';
import type { Logger } from '../../src/log.js';
import { heartbeatIntervalMs, startHeartbeat } from '../../src/primary/heartbeat.js';
import { linkedChannels } from '../helpers/channels.js';

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'performance'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

const recordingLog = () => {
  const lines: string[] = [];
  const log: Logger = {
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
  return { log, lines };
};

/** A worker as the heartbeat sees it: an id, a pid, and a channel whose other end answers or not. */
const fakeWorker = (id: number) => {
  const { worker, primary, cut } = linkedChannels();
  worker.handle('heartbeat', () => null);
  return { worker: { id, process: { pid: 1000 + id } } as unknown as Worker, channel: primary, stop: cut };
};

const watch = (workers: ReturnType<typeof fakeWorker>[], graceMs: number) => {
  const { log, lines } = recordingLog();
  const killed: number[] = [];
  const channels = new Map<Worker, PrimaryChannel>(workers.map((fake) => [fake.worker, fake.channel]));
  const heartbeat = startHeartbeat({
    graceMs,
    workers: () => workers.map((fake) => fake.worker),
    channelOf: (worker) => channels.get(worker),
    log,
    kill: (worker) => killed.push(worker.id),
  });
  return { lines, killed, heartbeat };
};

describe('the heartbeat', () => {
  it('beats a few times per grace, at most once a second', () => {
    expect(heartbeatIntervalMs(5000)).toBe(1000);
    expect(heartbeatIntervalMs(2000)).toBe(500);
    expect(heartbeatIntervalMs(200)).toBe(100);
  });

  it('leaves answering workers alone', async () => {
    const { lines, killed, heartbeat } = watch([fakeWorker(1), fakeWorker(2)], 2000);
    await vi.advanceTimersByTimeAsync(20_000);
    heartbeat.stop();
    expect(lines).toEqual([]);
    expect(killed).toEqual([]);
  });

  it('warns about a silent worker, then kills it once the grace has passed, once', async () => {
    const silent = fakeWorker(2);
    const { lines, killed, heartbeat } = watch([fakeWorker(1), silent], 2000);
    await vi.advanceTimersByTimeAsync(1000);
    silent.stop();
    await vi.advanceTimersByTimeAsync(1100);
    expect(lines).toEqual([
      expect.stringMatching(/^warn worker 2 \(pid 1002\) has not answered the heartbeat for 1\.\d s/),
    ]);
    expect(killed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(killed).toEqual([2]);
    expect(lines[1]).toMatch(/^error worker 2 \(pid 1002\) has not answered the heartbeat for 2\.\d s .*killing it/);
    await vi.advanceTimersByTimeAsync(10_000);
    heartbeat.stop();
    expect(killed).toEqual([2]);
  });

  it('is off with a grace of 0', async () => {
    const silent = fakeWorker(1);
    silent.stop();
    const { lines, killed } = watch([silent], 0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(lines).toEqual([]);
    expect(killed).toEqual([]);
  });
});
