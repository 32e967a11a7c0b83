#!/usr/bin/env node
// `npm run bench`: see src/bench/run-bench.ts. The only place of the bench that exits.
import { runBench } from '../src/bench/run-bench.js';
import { isAppError } from '../src/errors.js';

const EXIT_USAGE = 2;

runBench(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isAppError(error)) {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exit(error.code === 'E_CONFIG' ? EXIT_USAGE : 1);
    }
    process.stderr.write(`bench: failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
