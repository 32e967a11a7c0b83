import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '../../src/ipc/channel.js';
import { linkedChannels } from '../helpers/channels.js';

describe('the IPC channel', () => {
  it('routes each reply to its request by ack, whatever order the replies come in', async () => {
    const { worker, primary } = linkedChannels();
    // The primary answers the first request last: replies are matched by number, not by order.
    const gates: (() => void)[] = [];
    primary.handle('reset', ({ shared }) => {
      return new Promise((resolve) => {
        gates.push(() =>
          resolve({ workers: shared ? 2 : 1, ipc: true, shared, errors: [], redis_cache_keys: 0, since: '' }),
        );
      });
    });
    const first = worker.request('reset', { shared: true }, { timeoutMs: 1000 });
    const second = worker.request('reset', { shared: false }, { timeoutMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gates).toHaveLength(2);
    gates[1]?.();
    gates[0]?.();
    await expect(first).resolves.toMatchObject({ workers: 2, shared: true });
    await expect(second).resolves.toMatchObject({ workers: 1, shared: false });
    expect(worker.pending).toBe(0);
  });

  it('turns a handler error into a rejection with its code on the asking side', async () => {
    const { worker, primary } = linkedChannels();
    primary.handle('reload', () => {
      throw new Error('no reload today');
    });
    await expect(worker.request('reload', null, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'E_IPC',
      message: 'no reload today',
    });
  });

  it('refuses a request this side does not answer: the direction check', async () => {
    // This primary end registered no handler for `boot`; the worker gets a refusal, not a hang.
    const { worker } = linkedChannels();
    await expect(worker.request('boot', null, { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'E_IPC',
      message: 'This side does not answer boot.',
    });
  });

  it('times out with E_IPC_TIMEOUT naming what it asked, and drops the late reply', async () => {
    const { worker, primary } = linkedChannels();
    let answer: (() => void) | undefined;
    primary.handle('reload', () => new Promise((resolve) => (answer = () => resolve({ started: true, workers: 1 }))));
    await expect(worker.request('reload', null, { timeoutMs: 30, what: 'the reload' })).rejects.toMatchObject({
      code: 'E_IPC_TIMEOUT',
      message: 'No answer to the reload within 30 ms.',
    });
    answer?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(worker.pending).toBe(0);
  });

  it('fails every waiting request, and every later one, when closed', async () => {
    const { worker, cut } = linkedChannels();
    cut();
    const waiting = worker.request('reload', null, { timeoutMs: 5000 });
    worker.close(new Error('primary gone'));
    await expect(waiting).rejects.toThrow('primary gone');
    await expect(worker.request('reload', null, { timeoutMs: 5000 })).rejects.toThrow('primary gone');
  });

  it('delivers notices without replies, and leaves messages that are not ours alone', async () => {
    const { worker, primary } = linkedChannels();
    const heard: string[] = [];
    worker.on('shutdown', ({ reason }) => heard.push(reason));
    primary.notify('shutdown', { reason: 'test' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(heard).toEqual(['test']);
    expect(worker.receive({ type: 'shutdown', body: { reason: 'a stranger' } })).toBe(false);
    expect(worker.receive({ ns: NAMESPACE, type: 'shutdown', body: { reason: 'ours' } })).toBe(true);
    expect(heard).toEqual(['test', 'ours']);
  });
});
