import { describe, expect, it } from 'vitest';
import { redactRedisUrl, redisUrlHasSecret } from '../../src/redis/url.js';

describe('redactRedisUrl', () => {
  it.each([
    ['redis://user:pass@host:6379', 'redis://user:***@host:6379'],
    ['redis://:pass@host:6379/2', 'redis://:***@host:6379/2'],
    ['rediss://user:pass@host', 'rediss://user:***@host'],
    ['redis://lonely-secret@host:6379', 'redis://***@host:6379'],
    ['redis://host:6379/0?password=pass', 'redis://host:6379/0?password=***'],
    ['redis://host:6379/0?username=user&password=pass', 'redis://host:6379/0?username=user&password=***'],
    ['rediss://host/?password=pass&tls=x', 'rediss://host/?password=***&tls=x'],
    ['redis://host/?sentinelPassword=pass', 'redis://host/?sentinelPassword=***'],
    ['redis://u:p%40ss@host/?password=q%26s', 'redis://u:***@host/?password=***'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
  ])('%s → %s', (url, redacted) => {
    expect(redactRedisUrl(url)).toBe(redacted);
  });

  it('never returns an unparseable URL as it was', () => {
    expect(redactRedisUrl('redis://:pa ss@[bad')).toBe('(unparseable URL)');
  });
});

describe('redisUrlHasSecret', () => {
  it.each([
    ['redis://127.0.0.1:6379', false],
    ['redis://user@host', true],
    ['redis://:pass@host', true],
    ['redis://host/?password=pass', true],
    ['redis://host/?db=2', false],
  ])('%s → %s', (url, secret) => {
    expect(redisUrlHasSecret(url)).toBe(secret);
  });
});
