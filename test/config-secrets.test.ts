// Secrets (admin token, cache key, a Redis URL with a password) from a flag, a variable or a file;
// one warning per secret left on the command line; never the secret itself in a message.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const TOKEN = 'a-token-of-24-characters';
const KEY = 'cd'.repeat(32);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csl-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secretFile = async (name: string, text: string, mode = 0o600): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
};

describe('secrets from files', () => {
  it('reads --admin-token-file, --cache-key-file and --redis-url-file, without their trailing newline', async () => {
    const { config, warnings } = loadConfig(
      [
        '--admin-token-file',
        await secretFile('token', `${TOKEN}\n`),
        '--cache-key-file',
        await secretFile('key', `${KEY}\r\n`),
        '--redis-url-file',
        await secretFile('url', 'redis://:pw@127.0.0.1:6379\n'),
      ],
      {},
    );
    expect(config).toMatchObject({ adminToken: TOKEN, cacheKey: KEY, redisUrl: 'redis://:pw@127.0.0.1:6379' });
    expect(warnings).toEqual([]);
  });

  it('takes the *_FILE environment variables too', async () => {
    const { config } = loadConfig([], { ADMIN_TOKEN_FILE: await secretFile('token-env', TOKEN) });
    expect(config.adminToken).toBe(TOKEN);
  });

  it('lets a flag (file or value) beat any environment variable of the same setting', async () => {
    const path = await secretFile('token-flag', TOKEN);
    const { config } = loadConfig(['--admin-token-file', path], { ADMIN_TOKEN: 'another-token-of-24-chars' });
    expect(config.adminToken).toBe(TOKEN);
  });

  it('refuses two flags for one setting', async () => {
    const path = await secretFile('token-both', TOKEN);
    expect(() => loadConfig(['--admin-token', TOKEN, '--admin-token-file', path], {})).toThrow(
      'Give only one of `--admin-token`, `--admin-token-file`.',
    );
  });

  it('names a file it cannot read, and a bad value in it without echoing it', async () => {
    expect(() => loadConfig(['--admin-token-file', join(dir, 'missing')], {})).toThrow(
      /Cannot read `--admin-token-file` .*missing \(ENOENT\)/,
    );
    const short = await secretFile('short', 'tiny-secret');
    expect(() => loadConfig(['--admin-token-file', short], {})).toThrow(
      /`--admin-token-file` .*at least 16 characters/,
    );
    try {
      loadConfig(['--admin-token-file', short], {});
    } catch (error) {
      expect(String(error)).not.toContain('tiny-secret');
    }
  });

  it('warns about a secret file other users can read', async () => {
    const path = await secretFile('open', TOKEN, 0o644);
    const { warnings } = loadConfig(['--admin-token-file', path], {});
    expect(warnings).toEqual([expect.stringMatching(/readable by other users .*chmod 600/)]);
  });
});

describe('secrets on the command line', () => {
  it('warn once each, naming the variable and the file option, never the value', () => {
    const { warnings } = loadConfig(
      ['--admin-token', TOKEN, '--cache-key', KEY, '--redis-url', 'redis://:hunter2@127.0.0.1:6379'],
      {},
    );
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/`--redis-url` .*REDIS_URL.*--redis-url-file/);
    expect(warnings[1]).toMatch(/`--admin-token` .*ADMIN_TOKEN.*--admin-token-file/);
    expect(warnings[2]).toMatch(/`--cache-key` .*CACHE_KEY.*--cache-key-file/);
    for (const warning of warnings) {
      expect(warning).not.toContain(TOKEN);
      expect(warning).not.toContain(KEY);
      expect(warning).not.toContain('hunter2');
    }
  });

  it('say nothing for a Redis URL without a password, or for secrets in the environment', () => {
    expect(loadConfig(['--redis-url', 'redis://127.0.0.1:6379'], {}).warnings).toEqual([]);
    expect(loadConfig([], { ADMIN_TOKEN: TOKEN, CACHE_KEY: KEY }).warnings).toEqual([]);
  });
});
