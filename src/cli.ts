#!/usr/bin/env node
// Entry point of both sides, as Node's lib/cluster.js: the primary parses argv and forks; a worker
// (the same script, forked) asks its primary for the config it validated — over IPC, so that secrets
// never sit in an environment any process of the same user can read (/proc/<pid>/environ).
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { helpText, loadConfig, SECRET_ENV } from './config.js';
import { createLogger } from './log.js';
import { runMain } from './run-main.js';

/** How long the primary waits for Redis and the data dir lock to be released at exit. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How long a new worker waits for its primary's config. */
const BOOT_TIMEOUT_MS = 10_000;

const runWorkerSide = async (): Promise<number> => {
  // Each side loads only its own code: a worker never needs the primary's, and the other way round.
  const [{ openPrimaryChannel }, { runWorker }] = await Promise.all([
    import('./worker/rpc.js'),
    import('./worker/run-worker.js'),
  ]);
  const channel = openPrimaryChannel();
  const { config } = await channel.request('boot', null, { timeoutMs: BOOT_TIMEOUT_MS, what: 'the config' });
  return runWorker({ config, channel, log: createLogger(`worker ${cluster.worker?.id}`, config.logFormat) });
};

const runPrimarySide = async (): Promise<number> => {
  const { help, config, warnings } = loadConfig(process.argv.slice(2));
  if (help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  // Read once, now out of the environment every child (workers, redis-server) would inherit.
  for (const name of SECRET_ENV) delete process.env[name];
  const log = createLogger('primary', config.logFormat);
  for (const warning of warnings) log.warn(warning);
  const [{ prepareResources }, { runPrimary }, { probePort }] = await Promise.all([
    import('./primary/resources.js'),
    import('./primary/run-primary.js'),
    import('./primary/port-probe.js'),
  ]);
  // A taken port (or an address not ours) is one line before anything starts: Redis, workers.
  await probePort(config);
  const resources = await prepareResources(config, log);
  try {
    // Port 0 becomes one number for every worker (see probePort), picked after a private Redis took its own.
    const port = config.port === 0 ? await probePort(config) : config.port;
    return await runPrimary({
      resources: { ...resources, config: { ...resources.config, port } },
      log,
      workerScript: fileURLToPath(import.meta.url),
    });
  } finally {
    // Bounded: a Redis that will not stop must not keep the primary (and the terminal) waiting.
    const gaveUp = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS).unref());
    if ((await Promise.race([resources.close(), gaveUp])) === 'timeout') {
      log.warn(`cleanup took over ${CLOSE_TIMEOUT_MS} ms (Redis, data dir lock); exiting anyway`);
    }
  }
};

runMain('cluster-state-lab', cluster.isWorker ? runWorkerSide : runPrimarySide);
