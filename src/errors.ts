export type ErrorCode =
  | 'E_CONFIG'
  | 'E_BAD_PARAM'
  | 'E_NOT_FOUND'
  | 'E_CONFLICT'
  | 'E_PORT_IN_USE'
  | 'E_LISTEN'
  | 'E_IPC'
  | 'E_IPC_TIMEOUT'
  | 'E_DATA_DIR'
  | 'E_LOCK_TIMEOUT'
  | 'E_LOCK_LOST'
  | 'E_COUNTER_OVERFLOW'
  | 'E_DISK_FULL'
  | 'E_DATA_DIR_GONE'
  | 'E_STORAGE'
  | 'E_CORRUPT_STATE'
  | 'E_REDIS_DOWN'
  | 'E_REDIS_DISABLED'
  | 'E_REDIS_OOM'
  | 'E_REDIS_REPLY'
  | 'E_CONTENTION';

/** The one error class of the lab: `code` decides the exit code in the CLI and the status in the app. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Echo a user-supplied value in a message without letting a 10 kB value flood it. */
export const echo = (value: string, maxLength = 40): string =>
  value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
