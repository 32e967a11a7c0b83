// Why a server could not listen, in one line that names the option to change. Both sides use it: the
// primary, which probes the port before it starts anything, and a worker, whose listen() can still
// lose a race for the port.
import type { Config } from './config.js';

export const describeListenError = (
  { host, port }: Pick<Config, 'host' | 'port'>,
  error: NodeJS.ErrnoException,
): string => {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `Port ${port} on ${host} is already in use; stop what uses it or pick another with --port (0 = any free port).`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot listen on ${where}: the address is not one of this machine's (check --host).`;
    case 'EACCES':
      return `Cannot listen on ${where}: permission denied (ports below 1024 need privileges).`;
    default:
      return `Cannot listen on ${where}: ${error.message}`;
  }
};
