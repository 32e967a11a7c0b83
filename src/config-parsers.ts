// The value parsers behind loadConfig: each one validates a flag or variable and, when it is wrong,
// throws one E_CONFIG line that names it and says what it accepts (secrets are never echoed).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { AppError, echo } from './errors.js';

/** One of `choices`, written exactly. */
export const parseChoice = <S extends string>(raw: string, source: string, choices: readonly S[]): S => {
  const choice = choices.find((name) => name === raw);
  if (choice === undefined) {
    throw new AppError('E_CONFIG', `Expected ${source} to be one of ${choices.join(', ')}, got \`${echo(raw)}\`.`);
  }
  return choice;
};

export const parseRedisUrl = (raw: string, source: string): string => {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    // Never echo the value: a Redis URL may carry a password.
    throw new AppError('E_CONFIG', `Expected ${source} to be a URL like redis://[:password@]host:port[/db].`);
  }
  return raw;
};

export const MIN_ADMIN_TOKEN_LENGTH = 16;

export const parseAdminToken = (raw: string, source: string): string => {
  // Never echo a secret, not even a wrong one.
  if (raw.length < MIN_ADMIN_TOKEN_LENGTH || raw.length > 512 || /\s/.test(raw)) {
    throw new AppError(
      'E_CONFIG',
      `Expected ${source} to be at least ${MIN_ADMIN_TOKEN_LENGTH} characters without spaces (try: openssl rand -hex 24).`,
    );
  }
  return raw;
};

/** The AES-256 key: 32 bytes written as 64 hex digits or as base64. */
export const decodeCacheKey = (raw: string): Buffer | null => {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(raw)) {
    const bytes = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === 32) return bytes;
  }
  return null;
};

export const parseCacheKey = (raw: string, source: string): string => {
  if (decodeCacheKey(raw) === null) {
    throw new AppError(
      'E_CONFIG',
      `Expected ${source} to be 32 bytes as 64 hex digits or base64 (try: openssl rand -hex 32).`,
    );
  }
  return raw;
};

export const parsePrefix = (raw: string, source = '`--redis-prefix`'): string => {
  if (raw.length > 100 || /\s/.test(raw)) {
    throw new AppError(
      'E_CONFIG',
      `Expected ${source} to be at most 100 characters without spaces, got \`${echo(raw)}\`.`,
    );
  }
  return raw;
};

export const describeParseError = (error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `Unknown option \`${echo(unknown[1] ?? '')}\`; see --help for the options.`;
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) return `Expected \`${missing[1]}\` to be followed by a value.`;
  const noValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
  if (noValue) return `\`${noValue[1]}\` is a switch and takes no value; see --help.`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `Unexpected argument \`${echo(positional[1] ?? '')}\`; options start with --, see --help.`;
  return `${message.split('\n')[0]} See --help.`;
};

/** node:util's parseArgs, strict, with its errors turned into one E_CONFIG line each. */
export const parseFlags = <T extends ParseArgsConfig['options']>(
  args: readonly string[],
  options: T,
  { allowPositionals = false }: { allowPositionals?: boolean } = {},
) => {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    throw new AppError('E_CONFIG', describeParseError(error), { cause: error });
  }
};

/** A whole number within [min, max], written in plain digits; `source` names the flag or variable. */
export const parseIntegerValue = (raw: string, source: string, min: number, max: number): number => {
  const value = /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new AppError('E_CONFIG', `Expected ${source} to be an integer from ${min} to ${max}, got \`${echo(raw)}\`.`);
  }
  return value;
};

/** A cluster's name: what tells its workers from another cluster's in bodies and headers. */
export const parseInstance = (raw: string, source: string): string => {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) {
    throw new AppError(
      'E_CONFIG',
      `Expected ${source} to be 1 to 64 letters, digits, dots, dashes or underscores, got \`${echo(raw)}\`.`,
    );
  }
  return raw;
};
