/** One line per lifecycle event, on stderr, so stdout stays for the banner and for tools reading it. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A value a JSON log line can carry. */
export type LogValue = string | number | boolean | null | readonly LogValue[] | { readonly [key: string]: LogValue };
/** Extra machine-readable facts for the JSON format (an event name, pids, exit code, …). */
export type LogFields = Record<string, LogValue>;

export type LogFormat = 'text' | 'json';

export const createLogger = (role: string, format: LogFormat = 'text'): Logger => {
  const write = (level: string, message: string, fields: LogFields = {}): void => {
    const now = new Date().toISOString();
    process.stderr.write(
      format === 'json'
        ? `${JSON.stringify({ time: now, level, role, pid: process.pid, msg: message, ...fields })}\n`
        : `${now.slice(11, 23)} ${level.padEnd(5)} [${role}] ${message}\n`,
    );
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
};
