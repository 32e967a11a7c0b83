#!/usr/bin/env node
// Entry point of both sides, as Node's lib/cluster.js: the primary parses argv and forks; a worker
// (the same script, forked) takes the config its primary validated. The only place that exits.
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { helpText, loadConfig, loadWorkerConfig } from './config.js';
import { isAppError } from './errors.js';
import { createLogger } from './log.js';

const EXIT_USAGE = 2;
/** How long the primary waits for Redis and the data dir lock to be released at exit. */
const CLOSE_TIMEOUT_MS = 10_000;

const main = async (): Promise<number> => {
  if (cluster.isWorker) {
    const config = loadWorkerConfig();
    // Each side loads only its own code: a worker never needs the primary's, and the other way round.
    const { runWorker } = await import('./worker/run-worker.js');
    return runWorker({ config, log: createLogger(`worker ${cluster.worker?.id}`, config.logFormat) });
  }
  const { help, config } = loadConfig(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const log = createLogger('primary', config.logFormat);
  const [{ prepareResources }, { runPrimary }] = await Promise.all([
    import('./primary/resources.js'),
    import('./primary/run-primary.js'),
  ]);
  const resources = await prepareResources(config, log);
  try {
    return await runPrimary({ resources, log, workerScript: fileURLToPath(import.meta.url) });
  } finally {
    // Bounded: a Redis that will not stop must not keep the primary (and the terminal) waiting.
    const gaveUp = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS).unref());
    if ((await Promise.race([resources.close(), gaveUp])) === 'timeout') {
      log.warn(`cleanup took over ${CLOSE_TIMEOUT_MS} ms (Redis, data dir lock); exiting anyway`);
    }
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isAppError(error)) {
      process.stderr.write(`cluster-state-lab: ${error.message}\n`);
      process.exit(error.code === 'E_CONFIG' ? EXIT_USAGE : 1);
    }
    process.stderr.write(
      `cluster-state-lab: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
