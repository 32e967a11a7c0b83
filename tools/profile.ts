#!/usr/bin/env node
// `npm run profile`: where a worker's CPU goes under load. Starts the lab (or one of the bench's
// floors) with `node --cpu-prof`, loads one route with autocannon, stops it so every worker writes its
// profile, and prints self time per request by owner (the lab, Hono, the adapter, prom-client, Node,
// V8) and by function. The .cpuprofile files stay for Chrome DevTools or speedscope.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, parseIntegerValue } from '../src/config-parsers.js';
import { AppError } from '../src/errors.js';
import { startRedisServer } from '../src/redis/server.js';
import { runMain } from '../src/run-main.js';
import { createLoadRunner } from './bench/load.js';
import { ProcessGroup, startServer } from './lib/processes.js';
import { monotonicUs, type ProfileSummary, readProfile, summarizeProfile } from './profile/cpu-profile.js';

const SERVERS = {
  lab: fileURLToPath(new URL('../src/cli.js', import.meta.url)),
  hono: fileURLToPath(new URL('./bench/hono-floor.js', import.meta.url)),
  bare: fileURLToPath(new URL('./bench/baseline-server.js', import.meta.url)),
} as const;
type ServerName = keyof typeof SERVERS;

const HELP = `Usage: npm run profile -- [options]

Profile a server's workers under load (node --cpu-prof) and print where the time goes per request.

  --server lab|hono|bare   the lab, the minimal Hono floor, or the bare node:http floor (default lab)
  --route PATH             the lab's route to load (default /counter/local; the floors answer /counter)
  --workers N              worker processes, 1 to 16 (default 1)
  --duration S             seconds of load, 1 to 120 (default 5)
  --connections N          autocannon's keep-alive connections, 1 to 1000 (default 50)
  --top N                  functions to list, 1 to 200 (default 25)
  -h, --help               this text

The profiles are written to a temp directory (printed) for Chrome DevTools or speedscope.`;

const usPerRequest = (us: number, requests: number): string => (us / requests).toFixed(2);

const report = (summary: ProfileSummary, requests: number, top: number): string => {
  const lines = [
    `${requests} requests; busy CPU in the workers: ${usPerRequest(summary.busyUs, requests)} µs/request`,
    '',
    'by owner (self time, µs/request):',
    ...summary.owners.map(({ owner, selfUs }) => `  ${usPerRequest(selfUs, requests).padStart(7)}  ${owner}`),
    '',
    `top ${top} functions (self time, µs/request):`,
    ...summary.functions
      .slice(0, top)
      .map(({ label, owner, selfUs }) => `  ${usPerRequest(selfUs, requests).padStart(7)}  ${label}  [${owner}]`),
  ];
  return lines.join('\n');
};

const merge = (summaries: ProfileSummary[]): ProfileSummary => {
  const functions = new Map<string, { label: string; owner: string; selfUs: number }>();
  const owners = new Map<string, number>();
  let busyUs = 0;
  for (const summary of summaries) {
    busyUs += summary.busyUs;
    for (const entry of summary.functions) {
      const kept = functions.get(entry.label) ?? { ...entry, selfUs: 0 };
      kept.selfUs += entry.selfUs;
      functions.set(entry.label, kept);
    }
    for (const { owner, selfUs } of summary.owners) owners.set(owner, (owners.get(owner) ?? 0) + selfUs);
  }
  return {
    busyUs,
    functions: [...functions.values()].sort((a, b) => b.selfUs - a.selfUs),
    owners: [...owners].map(([owner, selfUs]) => ({ owner, selfUs })).sort((a, b) => b.selfUs - a.selfUs),
  };
};

const runProfile = async (argv: readonly string[]): Promise<number> => {
  const { values } = parseFlags(argv, {
    server: { type: 'string', default: 'lab' },
    route: { type: 'string' },
    workers: { type: 'string', default: '1' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    top: { type: 'string', default: '25' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!(values.server in SERVERS)) {
    throw new AppError('E_CONFIG', `Expected \`--server\` to be lab, hono or bare, got \`${values.server}\`.`);
  }
  const server = values.server as ServerName;
  const route = values.route ?? (server === 'lab' ? '/counter/local' : '/counter');
  if (!route.startsWith('/')) throw new AppError('E_CONFIG', `Expected \`--route\` to start with /, got \`${route}\`.`);
  const workers = parseIntegerValue(values.workers, '`--workers`', 1, 16);
  const durationS = parseIntegerValue(values.duration, '`--duration`', 1, 120);
  const connections = parseIntegerValue(values.connections, '`--connections`', 1, 1000);
  const top = parseIntegerValue(values.top, '`--top`', 1, 200);

  const dir = await mkdtemp(join(tmpdir(), 'cluster-state-lab-profile-'));
  const group = new ProcessGroup();
  const say = (line: string): void => {
    process.stderr.write(`profile: ${line}\n`);
  };
  try {
    const args = ['--workers', String(workers), '--port', '0'];
    if (server === 'lab') {
      const redis = await startRedisServer({
        dir: join(dir, 'redis'),
        appendOnly: false,
        spawnProcess: (command, spawnArgs, options) => group.spawn(command, spawnArgs, options),
      });
      args.push('--log-format', 'json', '--data-dir', join(dir, 'data'), '--db-delay-ms', '0');
      args.push('--redis-url', redis.url);
    }
    const running = await startServer({
      group,
      label: server,
      args: ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profiles')}`, SERVERS[server], ...args],
    });
    say(`${server}: ${workers} worker(s) on ${running.url}; loading ${route} for ${durationS} s`);
    const load = createLoadRunner(group);
    // Warm the JIT first; only the samples taken during the measured load count.
    await load({ baseUrl: running.url, paths: [route], connections, durationS: 1 });
    const fromUs = monotonicUs();
    const measured = await load({ baseUrl: running.url, paths: [route], connections, durationS });
    const window = { fromUs, toUs: monotonicUs() };
    const requests = measured.ok_2xx + measured.non_2xx;
    if (measured.ok_2xx === 0) throw new AppError('E_CONFIG', `${route} answered no 2xx: is it a route of ${server}?`);
    await group.stop(running.child);
    const files = (await readdir(join(dir, 'profiles')).catch(() => [] as string[])).filter((file) =>
      running.workerPids.some((pid) => file.includes(`.${pid}.`)),
    );
    if (files.length === 0) throw new Error(`no worker profile was written under ${join(dir, 'profiles')}`);
    const summaries = await Promise.all(
      files.map(async (file) => summarizeProfile(await readProfile(join(dir, 'profiles', file)), window)),
    );
    process.stdout.write(`${report(merge(summaries), requests, top)}\n`);
    say(`profiles: ${join(dir, 'profiles')}`);
    return 0;
  } finally {
    await group.stopAll();
  }
};

runMain('profile', () => runProfile(process.argv.slice(2)));
