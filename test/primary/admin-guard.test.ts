import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/log.js';
import { addressKey, createAdminGuard } from '../../src/primary/admin-guard.js';

const recordingLog = () => {
  const lines: { message: string; fields?: LogFields }[] = [];
  const write = (message: string, fields?: LogFields) => {
    lines.push({ message, fields });
  };
  const log: Logger = { info: write, warn: write, error: write };
  return { log, lines };
};

const makeGuard = (maxFailures = 3, windowMs = 60_000) => {
  let clock = 1_000_000;
  const { log, lines } = recordingLog();
  const guard = createAdminGuard({ maxFailures, windowMs, log, now: () => clock });
  return {
    guard,
    lines,
    advance: (ms: number) => {
      clock += ms;
    },
    wrong: (address = '10.0.0.7') => guard.attempt({ address, ok: false, path: '/admin/reset' }).verdict,
    right: (address = '10.0.0.7') => guard.attempt({ address, ok: true, path: '/admin/reset' }),
  };
};

describe('the admin guard', () => {
  it('lets through the limit of failures, then refuses the address, even with the right token', () => {
    const { wrong, right } = makeGuard(3);
    expect([wrong(), wrong(), wrong()]).toEqual(['unauthorized', 'unauthorized', 'unauthorized']);
    expect(wrong()).toBe('blocked');
    expect(right()).toEqual({ verdict: 'blocked', retryAfterS: 60 });
    // Another address is not concerned.
    expect(wrong('10.0.0.8')).toBe('unauthorized');
    expect(right('10.0.0.9').verdict).toBe('allowed');
  });

  it('frees the address once its oldest failure leaves the window, one failure at a time', () => {
    const { wrong, right, advance } = makeGuard(3, 60_000);
    wrong();
    advance(10_000);
    wrong();
    wrong();
    expect(right()).toEqual({ verdict: 'blocked', retryAfterS: 50 });
    advance(50_000);
    expect(right().verdict).toBe('allowed');
    expect(wrong()).toBe('unauthorized');
    expect(wrong()).toBe('blocked');
  });

  it('refusals do not extend the block', () => {
    const { wrong, right, advance } = makeGuard(2, 60_000);
    wrong();
    wrong();
    for (let index = 0; index < 100; index += 1) {
      advance(500);
      expect(wrong()).toBe('blocked');
    }
    advance(10_000);
    expect(right().verdict).toBe('allowed');
  });

  it('logs the first failure, the block, and then one summary, never one line per attempt', () => {
    const { guard, wrong, right, lines } = makeGuard(3);
    for (let index = 0; index < 1000; index += 1) wrong();
    right();
    guard.stop();
    expect(lines.map(({ fields }) => fields?.event)).toEqual(['admin-auth-failed', 'admin-blocked', 'admin-attempts']);
    expect(lines[0]?.message).toContain('10.0.0.7');
    expect(lines[2]?.fields).toMatchObject({ address: '10.0.0.7', failed: 2, refused: 998 });
  });

  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.168.1.20', '192.168.1.20'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
