#!/usr/bin/env node
// Entry point of `npm run demo`: parse, run the lessons, exit. Ctrl-C stops the lesson's clusters.
import { runMain } from '../src/run-main.js';
import { demoHelpText, listLessons, parseDemoArgs, runDemo } from './demo/run-demo.js';

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

runMain('demo', main);
