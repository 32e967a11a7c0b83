// A worker's way out: stop accepting, let in-flight requests finish (bounded), close Redis, and stay
// on the IPC channel a moment before exiting, so that a connection the primary handed over just as
// the server closed is refused and passed to another worker rather than lost.
import type { Server } from 'node:http';
import type { Logger } from '../log.js';
import type { WorkerIdentity } from '../stats.js';

/** How long a drained worker keeps its IPC channel open before it exits. */
const DRAIN_LINGER_MS = 250;

export interface DrainOptions {
  server: Server;
  /** Close this worker's Redis connection (on purpose: not a "Redis down"). */
  closeRedis: () => void;
  log: Logger;
  identity: WorkerIdentity;
  timeoutMs: number;
  /** Called once, when the worker may exit, with its exit code. */
  exit: (code: number) => void;
  /** Called when the server has closed (pending asks to the primary can be failed). */
  onClosed?: () => void;
}

export const createDrain = ({ server, closeRedis, log, identity, timeoutMs, exit, onClosed }: DrainOptions) => {
  let draining = false;
  return {
    get draining(): boolean {
      return draining;
    },
    /** Leave without serving (a fatal listen error): nothing to drain. */
    abandon(code: number): void {
      draining = true;
      closeRedis();
      exit(code);
    },
    drain(reason: string): void {
      if (draining) return;
      draining = true;
      if (!server.listening) {
        // Never served (e.g. the port was taken): nothing to drain, and closing a server whose
        // listen() the primary has not answered yet trips Node's cluster code.
        closeRedis();
        exit(0);
        return;
      }
      const timer = setTimeout(() => {
        log.warn(`worker ${identity.id}: in-flight requests still open after ${timeoutMs} ms; closing them`);
        server.closeAllConnections();
      }, timeoutMs);
      timer.unref();
      log.info(`worker ${identity.id} (pid ${identity.pid}) draining (${reason})`);
      // close() stops accepting and waits for in-flight requests; idle keep-alive sockets go now.
      server.close(() => {
        clearTimeout(timer);
        onClosed?.();
        closeRedis();
        // Stay on the IPC channel a moment: a connection the primary handed over just before it
        // learnt that this server closed is then refused and passed to another worker. Exiting at
        // once would leave it unanswered forever (node:cluster's hand-off has no failure path).
        setTimeout(() => exit(0), DRAIN_LINGER_MS);
      });
      server.closeIdleConnections();
    },
    /**
     * Leave on purpose now (POST /admin/crash): stop accepting first, and stay on the IPC channel for
     * the linger, so a connection being handed over is refused and passed on, not lost; whatever is
     * still open after the linger is cut, as a crash would.
     */
    leave(code: number): void {
      if (draining) return;
      draining = true;
      server.close();
      server.closeIdleConnections();
      setTimeout(() => {
        server.closeAllConnections();
        onClosed?.();
        closeRedis();
        exit(code);
      }, DRAIN_LINGER_MS);
    },
  };
};
