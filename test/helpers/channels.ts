// Fake workers for unit tests: two channel ends joined in memory. A message is delivered on a later
// turn of the event loop and as a structured clone, as it would be over a real IPC pipe.
import { EventEmitter } from 'node:events';
import type { Envelope, Port } from '../../src/ipc/channel.js';
import {
  createPrimaryChannel,
  createWorkerChannel,
  type PrimaryChannel,
  type WorkerChannel,
} from '../../src/ipc/protocol.js';

/** One end of an in-memory pipe: `send` delivers to the other end's 'message' listeners. */
export interface FakeEnd extends Port {
  readonly events: EventEmitter;
  /** Stop delivering: the other end is gone (messages are dropped, as a closed pipe drops them). */
  cut(): void;
}

export const createPipe = (): [FakeEnd, FakeEnd] => {
  const a = new EventEmitter();
  const b = new EventEmitter();
  let open = true;
  const end = (self: EventEmitter, other: EventEmitter): FakeEnd => ({
    events: self,
    send(message: Envelope) {
      const copy = structuredClone(message);
      setImmediate(() => {
        if (open) other.emit('message', copy);
      });
    },
    cut() {
      open = false;
    },
  });
  return [end(a, b), end(b, a)];
};

/** A worker's channel and the primary's channel for it, joined. */
export const linkedChannels = (): { worker: WorkerChannel; primary: PrimaryChannel; cut: () => void } => {
  const [workerEnd, primaryEnd] = createPipe();
  const worker = createWorkerChannel(workerEnd);
  const primary = createPrimaryChannel(primaryEnd);
  workerEnd.events.on('message', (message) => worker.receive(message));
  primaryEnd.events.on('message', (message) => primary.receive(message));
  return { worker, primary, cut: workerEnd.cut };
};
