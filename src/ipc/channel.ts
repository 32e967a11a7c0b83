// One message channel between the primary and one worker, run the way Node's own cluster internals
// run theirs (lib/internal/cluster/utils.js): every message is an envelope in our namespace, a
// request carries a fresh `seq`, and its reply carries that number back as `ack` and is settled by
// it alone, whatever it answers. Neither side lists reply types: what each request answers is a
// type map (protocol.ts), so `request('stats')` infers its reply.
import assert from 'node:assert';
import { AppError, type ErrorCode } from '../errors.js';

/** Every message of ours carries this; anything else on the channel (another library's) is not ours. */
export const NAMESPACE = 'cluster-state-lab';

export interface Envelope {
  ns: typeof NAMESPACE;
  /** A request or a notice: what it is. */
  type?: string;
  /** A request: the number its reply will carry as `ack`. */
  seq?: number;
  /** A reply: the `seq` of the request it answers. */
  ack?: number;
  body?: unknown;
  /** A reply whose handler failed. */
  error?: { code: ErrorCode; message: string };
}

/** The process on the other end: `process` in a worker, a cluster `Worker` in the primary. */
export interface Port {
  send(message: Envelope): void;
}

/**
 * Requests one side may send: each one's body and the body of its reply. Written as a constraint on
 * the map itself (not an index signature) so that the maps can be interfaces, which files extend.
 */
export type RequestMap<T> = { [K in keyof T]: { request: unknown; reply: unknown } };

type Handler = (body: unknown) => unknown;

interface Pending {
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RequestOptions {
  timeoutMs: number;
  /** For the timeout's message: "No answer to <what> within …". @default the request's type */
  what?: string;
}

export const isEnvelope = (message: unknown): message is Envelope =>
  typeof message === 'object' && message !== null && (message as { ns?: unknown }).ns === NAMESPACE;

const toError = (error: unknown): { code: ErrorCode; message: string } =>
  error instanceof AppError
    ? { code: error.code, message: error.message }
    : { code: 'E_IPC', message: error instanceof Error ? error.message : String(error) };

/**
 * One end of a channel. `Ask`/`Tell` are what this end sends; `Answer`/`Hear` what it receives:
 * a message of a type this end does not handle is refused (a request) or dropped (a notice), which
 * is the direction check — a worker cannot make the primary run a worker-side handler.
 */
export class Channel<Ask extends RequestMap<Ask>, Tell, Answer extends RequestMap<Answer>, Hear> {
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #handlers = new Map<string, Handler>();
  readonly #listeners = new Map<string, (body: unknown) => void>();
  #closed: Error | null = null;

  constructor(readonly port: Port) {}

  /** Send a request and wait for its reply, at most `timeoutMs` (then an E_IPC_TIMEOUT). */
  request<K extends keyof Ask & string>(
    type: K,
    body: Ask[K]['request'],
    { timeoutMs, what = type }: RequestOptions,
  ): Promise<Ask[K]['reply']> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new AppError('E_IPC_TIMEOUT', `No answer to ${what} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.#pending.set(seq, { resolve: resolve as (body: unknown) => void, reject, timer });
      try {
        this.port.send({ ns: NAMESPACE, type, seq, body });
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(seq);
        reject(new AppError('E_IPC_TIMEOUT', `Could not send ${what}.`, { cause: error }));
      }
    });
  }

  /** Send a notice: no reply, no wait. */
  notify<K extends keyof Tell & string>(type: K, body: Tell[K]): void {
    this.port.send({ ns: NAMESPACE, type, body });
  }

  /** Answer requests of `type`; what the handler returns (or resolves to) is the reply. */
  handle<K extends keyof Answer & string>(
    type: K,
    handler: (body: Answer[K]['request']) => Answer[K]['reply'] | Promise<Answer[K]['reply']>,
  ): this {
    assert(!this.#handlers.has(type), `Two handlers for ${type}.`);
    this.#handlers.set(type, handler as Handler);
    return this;
  }

  /** Listen to notices of `type`. */
  on<K extends keyof Hear & string>(type: K, listener: (body: Hear[K]) => void): this {
    this.#listeners.set(type, listener as (body: unknown) => void);
    return this;
  }

  /** Feed one incoming message; false when it is not ours (the caller may pass it on). */
  receive(message: unknown): boolean {
    if (!isEnvelope(message)) return false;
    if (message.ack !== undefined) {
      this.#settle(message);
    } else if (message.seq !== undefined && message.type !== undefined) {
      this.#answer(message.type, message.seq, message.body);
    } else if (message.type !== undefined) {
      this.#listeners.get(message.type)?.(message.body);
    }
    return true;
  }

  /** Fail every request still waiting, and any later one: the other side is gone. */
  close(error: Error): void {
    this.#closed = error;
    for (const [seq, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(seq);
      pending.reject(error);
    }
  }

  /** Requests sent and not yet answered (for tests and invariants). */
  get pending(): number {
    return this.#pending.size;
  }

  #settle({ ack, body, error }: Envelope): void {
    const pending = this.#pending.get(ack as number);
    // A late reply, after its request timed out: nobody waits for it any more.
    if (pending === undefined) return;
    this.#pending.delete(ack as number);
    clearTimeout(pending.timer);
    if (error === undefined) pending.resolve(body);
    else pending.reject(new AppError(error.code, error.message));
  }

  #answer(type: string, seq: number, body: unknown): void {
    const reply = (fields: Pick<Envelope, 'body' | 'error'>): void => {
      this.port.send({ ns: NAMESPACE, ack: seq, ...fields });
    };
    const handler = this.#handlers.get(type);
    if (handler === undefined) {
      reply({ error: { code: 'E_IPC', message: `This side does not answer ${type}.` } });
      return;
    }
    let result: unknown;
    try {
      result = handler(body);
    } catch (error) {
      reply({ error: toError(error) });
      return;
    }
    if (result instanceof Promise) {
      void result.then(
        (value: unknown) => reply({ body: value }),
        (error: unknown) => reply({ error: toError(error) }),
      );
    } else {
      reply({ body: result });
    }
  }
}
