/** Wait `ms` milliseconds. The one sleep of the lab: counters, tools and tests all use this one. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
