import { describe, expect, it } from 'vitest';
import { createCrashGuard } from '../../src/primary/crash-guard.js';

describe('the crash guard', () => {
  it('calls it a loop only past the limit within the window', () => {
    const guard = createCrashGuard(3, 1000);
    expect([0, 100, 200].map((at) => guard.recordDeath(at))).toEqual([false, false, false]);
    expect(guard.recordDeath(300)).toBe(true);
  });

  it('forgets deaths older than the window', () => {
    const guard = createCrashGuard(2, 1000);
    guard.recordDeath(0);
    guard.recordDeath(500);
    // The death at 0 has left the window: two within it, not three.
    expect(guard.recordDeath(1200)).toBe(false);
    expect(guard.recordDeath(1600)).toBe(false);
    expect(guard.recordDeath(1700)).toBe(true);
  });
});
