import { AppError } from './errors.js';
import type { Reply } from './messages.js';

type Pending = { resolve: (reply: Reply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/**
 * Request/reply over a message channel: each request gets a fresh `seq`, each reply names it in
 * `ack`. Used by both sides (a worker asking the primary, the primary asking a worker).
 */
export class Requester {
  #seq = 0;
  readonly #pending = new Map<number, Pending>();

  /** Send `build(seq)` and wait for the reply carrying that seq, at most `timeoutMs`. */
  request<R extends Reply>(send: (seq: number) => void, timeoutMs: number, what: string): Promise<R> {
    const seq = ++this.#seq;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new AppError('E_IPC_TIMEOUT', `No answer to ${what} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.#pending.set(seq, { resolve: resolve as (reply: Reply) => void, reject, timer });
      try {
        send(seq);
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(seq);
        reject(new AppError('E_IPC_TIMEOUT', `Could not send ${what}.`, { cause: error }));
      }
    });
  }

  /** Route a reply to whoever waits for it; a late reply (after its timeout) is dropped. */
  settle(reply: Reply): void {
    const pending = this.#pending.get(reply.ack);
    if (pending === undefined) return;
    this.#pending.delete(reply.ack);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  /** Fail every request still waiting, e.g. when the other side is gone. */
  rejectAll(error: Error): void {
    for (const [seq, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(seq);
      pending.reject(error);
    }
  }
}
