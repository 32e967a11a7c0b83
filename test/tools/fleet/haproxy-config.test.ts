import { describe, expect, it } from 'vitest';
import type { BALANCES } from '../../../tools/fleet/args.js';
import {
  CHECK_FALL,
  CHECK_FASTINTER_MS,
  CHECK_INTER_MS,
  HOST_SHUTDOWN_DELAY_MS,
  MARK_DOWN_BOUND_MS,
  renderHaproxyConfig,
} from '../../../tools/fleet/haproxy-config.js';

const render = (balance: (typeof BALANCES)[number]) =>
  renderHaproxyConfig({
    bind: '127.0.0.1',
    port: 3000,
    balance,
    hosts: [
      { name: 'host-1', port: 3001 },
      { name: 'host-2', port: 3002 },
    ],
    statsSocket: '/run/x/haproxy.sock',
    fleetSocket: '/run/x/fleet.sock',
  });

describe('renderHaproxyConfig', () => {
  it('marks a dead host down within 3 s even when it accepts and never answers', () => {
    expect(MARK_DOWN_BOUND_MS).toBeLessThan(3000);
    expect(render('roundrobin')).toContain('default-server inter 500ms fastinter 250ms downinter 500ms rise 2 fall 2');
  });

  it('gives a stopping host time for the checks to take it out before it stops accepting', () => {
    // A host answering 503 promptly is DOWN after inter + (fall - 1) × fastinter: 750 ms.
    const downAfterMs = CHECK_INTER_MS + (CHECK_FALL - 1) * CHECK_FASTINTER_MS;
    expect(HOST_SHUTDOWN_DELAY_MS).toBe(1500);
    expect(HOST_SHUTDOWN_DELAY_MS).toBeGreaterThanOrEqual(downAfterMs + CHECK_INTER_MS);
    expect(render('roundrobin')).toContain('# A host told to stop answers it 503 for 1500 ms first');
  });

  it.each([
    ['roundrobin', 'balance roundrobin'],
    ['leastconn', 'balance leastconn'],
    ['source', 'balance source'],
    ['sticky', 'balance roundrobin'],
  ] as const)('%s → %s', (balance, line) => {
    const config = render(balance);
    expect(config).toContain(`    ${line}\n`);
    const sticky = balance === 'sticky';
    expect(config.includes('cookie SERVERID insert indirect nocache')).toBe(sticky);
    expect(config).toContain(`server host-2 127.0.0.1:3002 check${sticky ? ' cookie host-2' : ''}\n`);
  });

  it('routes only GET /fleet and its page to the fleet, and answers anything else there with a JSON 405', () => {
    const config = render('roundrobin');
    expect(config).toContain('acl fleet_view path /fleet /fleet/dashboard');
    expect(config).toMatch(/http-request return status 405 content-type application\/json .* if fleet_view !METH_GET/);
    expect(config).toContain('server fleet "unix@/run/x/fleet.sock"');
    expect(config).toContain('stats socket "/run/x/haproxy.sock" mode 600 level admin');
  });

  it('brackets an IPv6 address to bind', () => {
    expect(
      renderHaproxyConfig({
        ...{ bind: '::1', port: 80, balance: 'source', hosts: [], statsSocket: 's', fleetSocket: 'f' },
      }),
    ).toContain('bind [::1]:80');
  });
});
