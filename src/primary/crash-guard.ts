export const CRASH_LOOP_MAX_DEATHS = 5;
export const CRASH_LOOP_WINDOW_MS = 10_000;

/**
 * Remembers recent worker deaths. More than CRASH_LOOP_MAX_DEATHS within CRASH_LOOP_WINDOW_MS means
 * replacing workers is not helping (bad code, port taken, out of memory): stop instead of forking forever.
 */
export const createCrashGuard = (maxDeaths = CRASH_LOOP_MAX_DEATHS, windowMs = CRASH_LOOP_WINDOW_MS) => {
  const deaths: number[] = [];
  return {
    /** Record a death; true when the cluster is now in a crash loop. */
    recordDeath(now = Date.now()): boolean {
      deaths.push(now);
      while (deaths.length > 0 && (deaths[0] ?? now) <= now - windowMs) deaths.shift();
      return deaths.length > maxDeaths;
    },
  };
};
