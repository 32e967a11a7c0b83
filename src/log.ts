/** One line per lifecycle event, on stderr, so stdout stays for the banner and for tools reading it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const time = (): string => new Date().toISOString().slice(11, 23);

export const createLogger = (role: string): Logger => {
  const write = (level: string, message: string): void => {
    process.stderr.write(`${time()} ${level.padEnd(5)} [${role}] ${message}\n`);
  };
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
};
