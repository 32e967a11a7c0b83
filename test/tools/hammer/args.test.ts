import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, DEFAULT_REQUESTS, hammerHelpText, parseHammerArgs } from '../../../tools/hammer/args.js';

const URL_A = 'http://127.0.0.1:3000/counter';

describe('parseHammerArgs', () => {
  it('sends a fixed number of requests on new connections by default', () => {
    expect(parseHammerArgs([URL_A])).toEqual({
      urls: [URL_A],
      requests: DEFAULT_REQUESTS,
      durationMs: undefined,
      concurrency: DEFAULT_CONCURRENCY,
      keepAlive: false,
      json: false,
      help: false,
    });
  });

  it('reads every flag, long and short', () => {
    expect(
      parseHammerArgs([URL_A, 'http://127.0.0.1:3001/counter', '-n', '400', '-c', '20', '-d', '2.5', '-k', '--json']),
    ).toEqual({
      urls: [URL_A, 'http://127.0.0.1:3001/counter'],
      requests: 400,
      durationMs: 2500,
      concurrency: 20,
      keepAlive: true,
      json: true,
      help: false,
    });
    expect(parseHammerArgs(['--requests=5', '--concurrency', '2', '--keep-alive', URL_A])).toMatchObject({
      requests: 5,
      concurrency: 2,
      keepAlive: true,
    });
  });

  it('lets a duration alone bound the run', () => {
    expect(parseHammerArgs([URL_A, '--duration', '3'])).toMatchObject({ requests: undefined, durationMs: 3000 });
  });

  it('normalises the URL and accepts --help without one', () => {
    expect(parseHammerArgs(['http://127.0.0.1:3000']).urls).toEqual(['http://127.0.0.1:3000/']);
    expect(parseHammerArgs(['--help']).help).toBe(true);
  });

  it.each([
    [['-n', '0', URL_A], 'Expected `--requests` to be an integer from 1 to 10000000, got `0`.'],
    [['-n', '1.5', URL_A], 'Expected `--requests` to be an integer from 1 to 10000000, got `1.5`.'],
    [['-n', '-5', URL_A], 'Expected `--requests` to be an integer from 1 to 10000000, got `-5`.'],
    [['-c', 'many', URL_A], 'Expected `--concurrency` to be an integer from 1 to 1000, got `many`.'],
    [['-c', '1001', URL_A], 'Expected `--concurrency` to be an integer from 1 to 1000, got `1001`.'],
    [['-d', '0', URL_A], 'Expected `--duration` to be a number of seconds from 0.1 to 3600, got `0`.'],
    [['-d', '1e3', URL_A], 'Expected `--duration` to be a number of seconds from 0.1 to 3600, got `1e3`.'],
    [['-d', '3601', URL_A], 'Expected `--duration` to be a number of seconds from 0.1 to 3600, got `3601`.'],
    [['-n', URL_A], 'Expected `--requests` to be an integer from 1 to 10000000, got `http://127.0.0.1:3000/counter`.'],
    [[URL_A, '-n'], 'Expected `--requests` to be followed by a value.'],
    [[URL_A, '--json=yes'], '`--json` is a switch and takes no value; see --help.'],
    [[URL_A, '--bogus'], 'Unknown option `--bogus`; see --help for the options.'],
    [[], 'Expected at least one URL, as in: npm run hammer -- http://127.0.0.1:3000/counter -n 1000 -c 50.'],
    [['127.0.0.1:3000/counter'], 'Expected each URL to be an http:// or https:// URL'],
    [['ftp://127.0.0.1/counter'], 'got `ftp://127.0.0.1/counter`.'],
  ])('refuses %j with one line naming what is wrong', (argv, message) => {
    let thrown: unknown;
    try {
      parseHammerArgs(argv);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'E_CONFIG' });
    expect((thrown as Error).message).toContain(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('refuses more URLs than it can show', () => {
    const urls = Array.from({ length: 65 }, (_, index) => `http://127.0.0.1:${3000 + index}/counter`);
    expect(() => parseHammerArgs(urls)).toThrow('Expected at most 64 URLs, got 65.');
  });
});

describe('hammerHelpText', () => {
  it('lists every flag and defines expected and lost', () => {
    const help = hammerHelpText();
    for (const flag of ['--requests', '--concurrency', '--duration', '--keep-alive', '--json', '--help']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('expected   = the 2xx answers that carried a current_count');
    expect(help).toContain('lost       = expected - true total');
    expect(help).toContain('expected = (lowest - 1) + answers, lost = expected - largest');
    expect(help).toContain('Exit code: 0 when the run ends');
  });
});
