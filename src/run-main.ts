// The one top of every entry point (the lab's CLI, the hammer, the demo, the bench, the fleet), as
// citty's runMain: run `main`, exit with the code it resolves to, and turn an error into one line and
// an exit code — 2 for a usage error, 1 for anything else, a stack trace only for what nobody expected.
import { isAppError } from './errors.js';

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** The exit code and the one line a failure prints, without printing or exiting. */
export const describeFailure = (name: string, error: unknown): { code: number; line: string } => {
  if (isAppError(error)) {
    return { code: error.code === 'E_CONFIG' ? EXIT_USAGE : EXIT_FAILURE, line: `${name}: ${error.message}` };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: EXIT_FAILURE, line: `${name}: unexpected error: ${detail}` };
};

/** Run `main` and exit the process with its code; the only place a tool or the lab exits. */
export const runMain = (name: string, main: () => Promise<number>): void => {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const { code, line } = describeFailure(name, error);
      process.stderr.write(`${line}\n`);
      process.exit(code);
    },
  );
};
