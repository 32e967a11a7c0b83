#!/usr/bin/env node
// `npm run fleet`: several lab clusters behind HAProxy, one Redis. Runs until Ctrl-C or SIGTERM, then
// stops every process it started; exits 1 if HAProxy dies under it. See tools/fleet/run-fleet.ts.
import { createLogger, type LogFields } from '../src/log.js';
import { runMain } from '../src/run-main.js';
import { fleetHelpText, parseFleetArgs } from './fleet/args.js';
import { formatBanner } from './fleet/banner.js';
import { fleetConfigPreview, startFleet } from './fleet/run-fleet.js';

const main = async (): Promise<number> => {
  const { help, options } = parseFleetArgs(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${fleetHelpText()}\n`);
    return 0;
  }
  if (options.printConfig) {
    process.stdout.write(await fleetConfigPreview(options));
    return 0;
  }
  const log = createLogger('fleet', options.logFormat);
  for (const warning of options.warnings) log.warn(warning);

  // Signals before anything starts: a Ctrl-C during the start stops what has started so far.
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  let signals = 0;
  let killAll = (): void => {};
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      killAll();
      return;
    }
    stopRequested(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => killAll());

  const starting = startFleet({ options, log });
  const first = await Promise.race([starting.then((fleet) => ({ fleet })), stopSignal.then((signal) => ({ signal }))]);
  const fleet = 'fleet' in first ? first.fleet : await starting;
  killAll = fleet.killAll;
  if ('signal' in first) {
    await fleet.stop();
    return 0;
  }
  if (options.logFormat === 'json') {
    log.info(`ready: ${fleet.hosts.length} host(s) behind HAProxy on ${fleet.url}`, {
      ...(fleet.ready as unknown as LogFields),
    });
  } else {
    process.stdout.write(formatBanner(fleet.ready, options));
  }

  const outcome = await Promise.race([
    stopSignal.then((signal) => ({ signal, error: null })),
    fleet.failed.then((error) => ({ signal: null, error })),
  ]);
  log.info(outcome.signal === null ? 'stopping the fleet' : `${outcome.signal}: stopping every process of the fleet`, {
    event: 'stopping',
  });
  await fleet.stop();
  log.info('stopped: no process of the fleet is left', { event: 'stopped' });
  if (outcome.error !== null) {
    log.error(outcome.error.message);
    return 1;
  }
  return 0;
};

runMain('fleet', main);
