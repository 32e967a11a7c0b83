// HAProxy's configuration, written by the fleet (and shown by --print-config). Every choice in it is
// one a team makes in front of real hosts; each is commented in the file it writes, for the reader.
import type { Balance } from './args.js';

/** A health check every 500 ms while a host is up (and while it is down, to see it return). */
export const CHECK_INTER_MS = 500;
/** Once a check has failed, the next one comes sooner. */
export const CHECK_FASTINTER_MS = 250;
/** A check that gets no answer within this fails (a stopped process accepts, but never answers). */
export const CHECK_TIMEOUT_MS = 1000;
/** Checks in a row that must fail before a host is DOWN, and succeed before it is UP again. */
export const CHECK_FALL = 2;
export const CHECK_RISE = 2;
/**
 * The longest a dead host can stay UP: a refused connection fails a check at once, so inter +
 * fastinter (0.75 s); a host that accepts and never answers costs two check timeouts on top (2.75 s).
 */
export const MARK_DOWN_BOUND_MS =
  CHECK_INTER_MS + (CHECK_FALL - 1) * CHECK_FASTINTER_MS + CHECK_FALL * CHECK_TIMEOUT_MS;

/**
 * The lab's --shutdown-delay-ms for every host: told to stop (SIGTERM), a host answers /healthz 503
 * "draining" this long, serving everything else, before it stops accepting, so that these checks take
 * it out first and no request is cut off. Derived from the checks: `fall` failed checks `inter` apart
 * (fastinter makes it 750 ms in fact), plus one interval for the check that was already under way
 * when the host began to fail it, and for a busy machine: 500 × 2 + 500 = 1500 ms.
 */
export const HOST_SHUTDOWN_DELAY_MS = CHECK_INTER_MS * CHECK_FALL + CHECK_INTER_MS;

export const BACKEND = 'hosts';
export const FLEET_BACKEND = 'fleet_view';
export const SERVER_COOKIE = 'SERVERID';

export interface HaproxyConfigInput {
  /** Where the balancer listens. */
  bind: string;
  port: number;
  balance: Balance;
  hosts: readonly { name: string; port: number }[];
  /** The Runtime API's socket (mode 600, level admin). */
  statsSocket: string;
  /** The fleet's own server (/fleet and its page), a unix socket. */
  fleetSocket: string;
  /** The hosts' --shutdown-delay-ms, for the comment. @default HOST_SHUTDOWN_DELAY_MS */
  hostShutdownDelayMs?: number;
}

const ALGORITHM: Record<Balance, string> = {
  roundrobin: 'roundrobin',
  leastconn: 'leastconn',
  source: 'source',
  sticky: 'roundrobin',
};

const BALANCE_NOTE: Record<Balance, string> = {
  roundrobin: 'each new request goes to the next host in turn',
  leastconn: 'each new request goes to the host with the fewest connections in progress',
  source: "a hash of the client's address picks the host: one client (one address) always lands on one host",
  sticky: `round robin for a client without a cookie; the answer sets ${SERVER_COOKIE}=<host>, and a client that sends it back stays on that host`,
};

const quote = (text: string): string => `"${text.replace(/["\\]/g, '\\$&')}"`;

const bindAddress = (bind: string, port: number): string =>
  bind.includes(':') && !bind.startsWith('[') ? `[${bind}]:${port}` : `${bind}:${port}`;

/** What the configuration's reader is told about a host that is told to stop. */
const stoppingNote = (delayMs: number): string[] =>
  delayMs === 0
    ? [
        '    # A host told to stop closes its socket at once (--shutdown-delay-ms 0 given to the hosts): until',
        '    # these checks fail, requests still reach it, and one it accepted as it closed fails (502).',
      ]
    : [
        `    # A host told to stop answers it 503 for ${delayMs} ms first, still serving the rest (the lab's`,
        '    # --shutdown-delay-ms, given to every host): these checks take it out before it stops accepting.',
      ];

export const renderHaproxyConfig = ({
  bind,
  port,
  balance,
  hosts,
  statsSocket,
  fleetSocket,
  hostShutdownDelayMs = HOST_SHUTDOWN_DELAY_MS,
}: HaproxyConfigInput) => {
  const sticky = balance === 'sticky';
  const lines = [
    '# Written by `npm run fleet` (cluster-state-lab). HAProxy runs in the foreground (-db); the fleet',
    '# stops it with everything else.',
    'global',
    '    # The Runtime API: `show stat`, `set server hosts/host-N state drain|ready|maint`. Only its owner',
    '    # may use it (mode 600, in a 0700 directory).',
    `    stats socket ${quote(statsSocket)} mode 600 level admin`,
    '    maxconn 4096',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 1s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-request 10s',
    `    timeout check ${CHECK_TIMEOUT_MS}ms`,
    '    # A connection a host refused (it died, it is restarting) is tried again, up to 3 times, and',
    '    # each retry may go to another host (redispatch). Only a request that never reached a host is',
    "    # retried: GET /counter/* changes state, so one cut off mid-answer is the client's to see.",
    '    retries 3',
    '    option redispatch 1',
    '    retry-on conn-failure',
    '',
    'frontend fleet',
    `    bind ${bindAddress(bind, port)}`,
    "    # /fleet and its page are the fleet's own view, read-only through the balancer.",
    '    acl fleet_view path /fleet /fleet/dashboard',
    '    http-request return status 405 content-type application/json string \'{"error":"E_METHOD_NOT_ALLOWED","message":"The fleet view is read-only: use GET."}\' hdr allow "GET, HEAD" if fleet_view !METH_GET',
    `    use_backend ${FLEET_BACKEND} if fleet_view`,
    `    default_backend ${BACKEND}`,
    '',
    `backend ${BACKEND}`,
    `    # ${BALANCE_NOTE[balance]}`,
    `    balance ${ALGORITHM[balance]}`,
    ...(sticky ? [`    cookie ${SERVER_COOKIE} insert indirect nocache`] : []),
    '    # Health: GET /healthz (HTTP/1.0, no Host: the lab answers it). A host is DOWN after',
    `    # ${CHECK_FALL} failed checks in a row and UP again after ${CHECK_RISE} good ones: within`,
    `    # ${CHECK_INTER_MS + (CHECK_FALL - 1) * CHECK_FASTINTER_MS} ms of dying when its port refuses, ${MARK_DOWN_BOUND_MS} ms when it accepts but never answers.`,
    '    # Redis being down does not fail it: /healthz answers 200 and says "redis": "down".',
    ...stoppingNote(hostShutdownDelayMs),
    '    option httpchk GET /healthz',
    '    http-check expect status 200',
    `    default-server inter ${CHECK_INTER_MS}ms fastinter ${CHECK_FASTINTER_MS}ms downinter ${CHECK_INTER_MS}ms rise ${CHECK_RISE} fall ${CHECK_FALL}`,
    ...hosts.map(
      (host) => `    server ${host.name} 127.0.0.1:${host.port} check${sticky ? ` cookie ${host.name}` : ''}`,
    ),
    '',
    `backend ${FLEET_BACKEND}`,
    `    server fleet ${quote(`unix@${fleetSocket}`)}`,
    '',
  ];
  return lines.join('\n');
};
