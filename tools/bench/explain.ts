// Why each route's cost grows (or does not) with the worker count on this kind of machine: the
// mechanism, for the scaling table. The figures themselves come from the run, beside these words.

export const SCALING_REASONS: Readonly<Record<string, string>> = {
  '/counter/local':
    'Nothing shared: each worker adds to its own variable, so it scales as the platform does — up to the cores, and past them (4 workers on 2 cores) only the scheduling gets worse.',
  '/counter/unsafe':
    'Also per worker, with a deliberate await between read and write: the same shape as local plus one promise, and wrong at any worker count.',
  '/counter/ipc':
    'Every batch is a round trip to one primary, whose event loop does all the adding: more workers send more, smaller batches to the same single thread, and past the cores the primary competes with them for CPU.',
  '/counter/file':
    'One lock file serialises every commit on the machine: throughput is commits per second × increments per commit. More workers mean more lock waits; since the batch is taken once the lock is held, what arrives during the wait joins it, so batches grow as the waits do.',
  '/counter/redis':
    "INCR in one Redis process, which runs commands one at a time: workers add connections and parallel parsing, Redis's single thread and the 2 cores cap the sum.",
  '/counter/redis-unsafe':
    'GET then SET, two round trips per request: twice the Redis work of INCR and still wrong; it scales like redis with twice the cost.',
  '/counter/redis-watch':
    'WATCH/MULTI/EXEC on a dedicated connection per transaction: more workers mean more conflicting transactions, every abort is a retry, so its rate falls as workers are added.',
  '/counter/redis-lua':
    'One EVALSHA per request: one round trip, the read-modify-write inside Redis; scales as INCR does, at a little more Redis CPU per call.',
  '/user/:id':
    'A warm Map lookup per worker: local work only, scales like /counter/local (each worker warms its own copy).',
  '/user/lru/:id': 'A warm lru-cache lookup per worker: local work, a little more than the Map.',
  '/user/ttl/:id': 'A warm TTL cache lookup per worker: local work plus an expiry check.',
  '/user/redis/:id':
    'GET of a sealed JSON value from Redis and its authentication: one round trip and some decoding per request, bounded by Redis as the counters are.',
};
