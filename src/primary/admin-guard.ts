// The cluster's one tally of failed admin attempts. Each worker asks the primary before an admin
// route runs, so N workers do not give a guesser N times the attempts. Per client address, at most
// `maxFailures` wrong or missing tokens within `windowMs`; past that the address is refused (429)
// until its oldest failure leaves the window, whatever token it sends — a right one included, or the
// answer would tell a guesser when it has found the token. The log gets the first failure from an
// address, the moment it is blocked, and then one summary per window; never a token (none comes here).
import { LRUCache } from 'lru-cache';
import { echo } from '../errors.js';
import type { AdminAttempt, AdminVerdict } from '../ipc/protocol.js';
import type { Logger } from '../log.js';

/** Addresses tracked at once; the least recently seen go first (memory stays bounded under a spray). */
const MAX_ADDRESSES = 10_000;

export interface AdminGuardOptions {
  maxFailures: number;
  windowMs: number;
  log: Logger;
  /** @default performance.now */
  now?: () => number;
}

export interface AdminGuard {
  attempt(attempt: AdminAttempt): AdminVerdict;
  /** Log what is pending and stop the summary timer. */
  stop(): void;
}

interface AddressState {
  /** Times of the failures still in the window, oldest first (at most maxFailures). */
  failures: number[];
  /** Since the last log line about this address. */
  unlogged: { failed: number; refused: number };
}

/**
 * The key an address is counted under: an IPv4 address as is (IPv4-mapped IPv6 unwrapped), an IPv6
 * address by its /64, which one host usually holds whole (or it could try from 2^64 addresses).
 */
export const addressKey = (address: string): string => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
};

export const createAdminGuard = ({
  maxFailures,
  windowMs,
  log,
  now = () => performance.now(),
}: AdminGuardOptions): AdminGuard => {
  // An address quiet for two windows is forgotten: by then its failures are out of the window and
  // its last summary is written.
  const addresses = new LRUCache<string, AddressState>({ max: MAX_ADDRESSES, ttl: 2 * windowMs });
  const windowS = Math.round(windowMs / 1000);
  let timer: NodeJS.Timeout | undefined;

  const summarize = (): void => {
    let pending = false;
    for (const [key, state] of addresses.entries()) {
      const { failed, refused } = state.unlogged;
      if (failed + refused === 0) continue;
      pending = true;
      log.warn(
        `admin: ${failed + refused} more failed admin attempt(s) from ${key} in the last ${windowS} s (${failed} wrong or missing token(s), ${refused} refused with 429 while blocked)`,
        { event: 'admin-attempts', address: key, failed, refused, window_s: windowS },
      );
      state.unlogged = { failed: 0, refused: 0 };
    }
    if (!pending) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const scheduleSummary = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(summarize, windowMs);
    timer.unref();
  };

  return {
    attempt({ address, ok, path }) {
      const key = addressKey(address);
      const at = now();
      const known = addresses.get(key);
      if (known === undefined && ok) return { verdict: 'allowed', retryAfterS: 0 };
      const state = known ?? { failures: [], unlogged: { failed: 0, refused: 0 } };
      while (state.failures.length > 0 && (state.failures[0] as number) <= at - windowMs) state.failures.shift();

      if (state.failures.length >= maxFailures) {
        state.unlogged.refused += 1;
        addresses.set(key, state);
        scheduleSummary();
        const retryAfterS = Math.max(1, Math.ceil(((state.failures[0] as number) + windowMs - at) / 1000));
        return { verdict: 'blocked', retryAfterS };
      }
      if (ok) return { verdict: 'allowed', retryAfterS: 0 };

      state.failures.push(at);
      addresses.set(key, state);
      if (known === undefined) {
        log.warn(
          `admin: a wrong or missing token from ${key} (POST ${echo(path, 60)}); more from this address are summed up every ${windowS} s`,
          { event: 'admin-auth-failed', address: key, path: echo(path, 60) },
        );
      } else {
        state.unlogged.failed += 1;
        scheduleSummary();
      }
      if (state.failures.length === maxFailures) {
        log.warn(
          `admin: ${key} blocked after ${maxFailures} failed admin attempt(s) within ${windowS} s; it gets 429 (even with the right token) until the oldest one is ${windowS} s old`,
          { event: 'admin-blocked', address: key, failures: maxFailures, window_s: windowS },
        );
      }
      return { verdict: 'unauthorized', retryAfterS: 0 };
    },
    stop() {
      if (timer === undefined) return;
      summarize();
      clearInterval(timer);
      timer = undefined;
    },
  };
};
