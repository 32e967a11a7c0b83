// Before it starts Redis or forks a worker, the primary binds the port itself for a moment: a port
// in use (or an address that is not ours) is then one line at once, instead of a private Redis
// started, N workers forked and their errors gathered. The workers' listen() can still lose a race
// for the port to another program; that is reported by the worker, as before.
import { createServer } from 'node:net';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { describeListenError } from '../listen-error.js';

/**
 * Bind `host:port` for a moment and resolve to the port (the kernel's pick for port 0); throw the
 * one-line error when it cannot be bound.
 *
 * Port 0 is resolved here, once, rather than by each worker: node:cluster keys its listening socket
 * by the port asked for, and when every worker has closed its server at once (each leaving on
 * POST /admin/crash) it closes that socket; replacements asking for 0 again would reopen the
 * cluster on another port. Asking for the same number, they reopen it where it was.
 */
export const probePort = ({ host, port }: Pick<Config, 'host' | 'port'>): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code === 'EADDRINUSE' ? 'E_PORT_IN_USE' : 'E_LISTEN';
      reject(new AppError(code, describeListenError({ host, port }, error), { cause: error }));
    });
    // The same address the workers' listen() asks node:cluster for.
    probe.listen({ port, host, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      probe.close(() => resolve(bound));
    });
  });
