import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostPorts, parseFleetArgs } from '../../../tools/fleet/args.js';
import { HOST_SHUTDOWN_DELAY_MS } from '../../../tools/fleet/haproxy-config.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('parseFleetArgs', () => {
  it('defaults to 2 hosts × 2 workers on port 3000, round robin, a private Redis', () => {
    const { help, options } = parseFleetArgs([], {});
    expect(help).toBe(false);
    expect(options).toMatchObject({ hosts: 2, workers: 2, port: 3000, bind: '127.0.0.1', balance: 'roundrobin' });
    expect(options.redisUrl).toBeNull();
    expect(options.dataDir).toBe(join(process.cwd(), '.data/fleet'));
    expect(hostPorts(options)).toEqual([3001, 3002]);
  });

  it('gives every host a free port with --port 0', () => {
    expect(hostPorts(parseFleetArgs(['--port', '0', '--hosts', '3'], {}).options)).toEqual([null, null, null]);
  });

  it('passes what follows -- to every host, but not the options the fleet sets itself', () => {
    expect(parseFleetArgs(['--', '--db-delay-ms', '50'], {}).options.labArgs).toEqual(['--db-delay-ms', '50']);
    expect(() => parseFleetArgs(['--', '--instance=web'], {})).toThrow(/`--instance` after `--` is set by the fleet/);
    expect(() => parseFleetArgs(['--', '--redis-url', 'redis://x'], {})).toThrow(/one Redis for every host/);
  });

  it("gives every host the shutdown delay HAProxy's checks need, unless one is given after --", () => {
    expect(parseFleetArgs([], {}).options.hostShutdownDelayMs).toBe(HOST_SHUTDOWN_DELAY_MS);
    expect(parseFleetArgs(['--', '--shutdown-delay-ms', '0'], {}).options.hostShutdownDelayMs).toBe(0);
    expect(parseFleetArgs(['--', '--shutdown-delay-ms=2500'], {}).options.hostShutdownDelayMs).toBe(2500);
    expect(() => parseFleetArgs(['--', '--shutdown-delay-ms', 'soon'], {})).toThrow(
      'Expected `--shutdown-delay-ms` to be an integer from 0 to 60000, got `soon`.',
    );
  });

  it('reads the Redis URL as the lab does: a flag beats REDIS_URL, a file keeps the password out of ps', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:7000' };
    expect(parseFleetArgs([], env).options.redisUrl).toBe('redis://127.0.0.1:7000');
    const flagged = parseFleetArgs(['--redis-url', 'redis://:secret@127.0.0.1:7001'], env).options;
    expect(flagged.redisUrl).toBe('redis://:secret@127.0.0.1:7001');
    expect(flagged.warnings.join(' ')).toMatch(/visible to every local user/);
    const dir = await mkdtemp(join(tmpdir(), 'csl-fleet-args-'));
    dirs.push(dir);
    const file = join(dir, 'url');
    await writeFile(file, 'redis://:secret@127.0.0.1:7002\n', { mode: 0o600 });
    const fromFile = parseFleetArgs(['--redis-url-file', file], {}).options;
    expect(fromFile.redisUrl).toBe('redis://:secret@127.0.0.1:7002');
    expect(fromFile.warnings).toEqual([]);
  });

  it.each([
    [['--workers', '65'], 'Expected `--workers` to be an integer from 1 to 64, got `65`.'],
    [['--log-format', 'xml'], 'Expected `--log-format` to be one of text, json, got `xml`.'],
    [['--host', 'a b'], 'Expected `--host` to be an address such as 127.0.0.1 or 0.0.0.0, got `a b`.'],
    [['--redis-url', 'http://x'], 'Expected `--redis-url` to be a URL like redis://[:password@]host:port[/db].'],
    [['--nope'], 'Unknown option `--nope`; see --help for the options.'],
  ])('refuses %j in one line', (args, message) => {
    expect(() => parseFleetArgs(args, {})).toThrow(message);
  });
});

describe('the README', () => {
  it('lists every option of npm run fleet that --help lists', async () => {
    const { readFile } = await import('node:fs/promises');
    const { fleetHelpText } = await import('../../../tools/fleet/args.js');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### Options of `npm run fleet`');
    const section = readme.slice(start, readme.indexOf('\n#', start + 1));
    const documented = section
      .split('\n')
      .map((line) => /^\| `(--[\w-]+)/.exec(line)?.[1])
      .filter((flag) => flag !== undefined);
    const helped = fleetHelpText()
      .split('\n')
      .map((line) => /^ {2}(--[\w-]+)/.exec(line)?.[1])
      .filter((flag) => flag !== undefined);
    expect(start).toBeGreaterThan(0);
    expect(documented).toEqual(helped);
  });
});
