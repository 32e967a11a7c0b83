#!/usr/bin/env node
import { runMain } from '../src/run-main.js';
// `npm run bench`: see tools/bench/run-bench.ts. The only place of the bench that exits.
import { runBench } from './bench/run-bench.js';

runMain('bench', () => runBench(process.argv.slice(2)));
