#!/usr/bin/env node
// `npm run hammer`: parse the flags, read each cluster's /cluster (baselines), drive the load
// (tools/hammer/load.ts) while tallying each answer, read /cluster again, print the report. The only
// place of the hammer that exits.
import { runMain } from '../src/run-main.js';
import { hammerHelpText, parseHammerArgs } from './hammer/args.js';
import { counterFacts } from './hammer/counter-facts.js';
import { runLoad } from './hammer/load.js';
import { type Progress, startProgress } from './hammer/progress.js';
import { buildReport } from './hammer/report.js';
import { addSample, countDone, createTally } from './hammer/tally.js';
import { formatReport } from './hammer/text.js';
import { originsOf, readSnapshots } from './lib/cluster-facts.js';

/** A second Ctrl-C quits without a report, as a shell reports death by SIGINT. */
const EXIT_INTERRUPTED = 130;

const main = async (): Promise<number> => {
  const args = parseHammerArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${hammerHelpText()}\n`);
    return 0;
  }

  const tally = createTally(args.urls);
  // Baselines first: what every worker and store holds before the first request.
  const origins = originsOf(args.urls);
  const before = await readSnapshots(origins);
  const controller = new AbortController();
  let progress: Progress | undefined;
  // The first Ctrl-C stops sending and lets the requests in flight answer; the second quits.
  const stop = (): void => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort();
    progress?.draw();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.stderr.isTTY) {
    progress = startProgress({
      stream: process.stderr,
      read: () => ({
        ...countDone(tally),
        total: args.requests,
        durationMs: args.durationMs,
        stopping: controller.signal.aborted,
      }),
    });
  }

  let elapsedMs: number;
  try {
    ({ elapsedMs } = await runLoad({
      urls: args.urls,
      requests: args.requests,
      durationMs: args.durationMs,
      concurrency: args.concurrency,
      keepAlive: args.keepAlive,
      keepSamples: false,
      onSample: (sample) => addSample(tally, sample),
      signal: controller.signal,
    }));
  } finally {
    progress?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }

  const facts = await counterFacts(tally, origins, before);
  const report = buildReport(
    tally,
    { elapsedMs, keepAlive: args.keepAlive, concurrency: args.concurrency, interrupted: controller.signal.aborted },
    facts,
  );
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return 0;
};

runMain('hammer', main);
