import { describe, expect, it } from 'vitest';
import { defaultConfig, helpText, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('takes defaults when nothing is given', () => {
    expect(loadConfig([], {}).config).toEqual(defaultConfig());
  });

  it('lets a flag beat its environment variable, and the variable beat the default', () => {
    const env = { WEB_CONCURRENCY: '3', PORT: '4000', HOST: '0.0.0.0' };
    expect(loadConfig([], env).config).toMatchObject({ workers: 3, port: 4000, host: '0.0.0.0' });
    expect(loadConfig(['--workers', '2', '--port=0'], env).config).toMatchObject({ workers: 2, port: 0 });
  });

  it.each([
    [['--workers', '0'], 'Expected `--workers` to be an integer from 1 to 64, got `0`.'],
    [['--workers', 'abc'], 'Expected `--workers` to be an integer from 1 to 64, got `abc`.'],
    [['--workers', '1000'], 'Expected `--workers` to be an integer from 1 to 64, got `1000`.'],
    [['--workers', '1.5'], 'Expected `--workers` to be an integer from 1 to 64, got `1.5`.'],
    [['--port', '70000'], 'Expected `--port` to be an integer from 0 to 65535, got `70000`.'],
    [['--state', 'disk'], 'Expected `--state` to be one of memory, ipc, file, redis, got `disk`.'],
    [['--bogus'], 'Unknown option `--bogus`; see --help for the options.'],
    [['--workers'], 'Expected `--workers` to be followed by a value.'],
    [['extra'], 'Unexpected argument `extra`; options start with --, see --help.'],
  ])('refuses %j with one line naming the flag', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('names the environment variable when that is what is wrong', () => {
    expect(() => loadConfig([], { WEB_CONCURRENCY: 'lots' })).toThrow(
      'Expected `WEB_CONCURRENCY` to be an integer from 1 to 64, got `lots`.',
    );
  });

  it('lists every flag in --help', () => {
    const help = helpText();
    for (const flag of ['--workers', '--port', '--host', '--state', '--db-delay-ms', '--cache-max', '--cache-ttl-ms']) {
      expect(help).toContain(flag);
    }
  });
});

describe('the README', () => {
  it('documents every option exactly as the option table defines it (flag, environment variable, default)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { OPTIONS, flagLabel } = await import('../src/config.js');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Options'),
      readme.indexOf('\n## ', readme.indexOf('\n## Options') + 1),
    );
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('| `--'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const documented = rows.map(([, flag, env, shown]) => ({
      flag: flag?.replaceAll('`', ''),
      env: env === '' ? undefined : env?.replaceAll('`', ''),
      shownDefault: shown?.replaceAll('`', ''),
    }));
    const defined = OPTIONS.map((option) => ({
      flag: flagLabel(option),
      env: option.kind === 'value' ? option.env : undefined,
      shownDefault: option.shownDefault,
    }));
    expect(documented).toEqual(defined);
  });
});
