#!/usr/bin/env node
import { demoHelpText, listLessons, parseDemoArgs, runDemo } from '../src/demo/run-demo.js';
// Entry point of `npm run demo`: parse, run the lessons, exit. Ctrl-C stops the lesson's clusters.
import { isAppError } from '../src/errors.js';

const main = async (): Promise<number> => {
  const args = parseDemoArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${demoHelpText()}\n`);
    return 0;
  }
  if (args.list) {
    process.stdout.write(`${listLessons()}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\nStopping the demo and every cluster it started…\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return runDemo(args, controller.signal);
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `demo: ${isAppError(error) ? error.message : error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(isAppError(error) && error.code === 'E_CONFIG' ? 2 : 1);
  },
);
