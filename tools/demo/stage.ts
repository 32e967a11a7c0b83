// What every lesson stands on: clusters started as real processes on free ports (and always stopped),
// one data dir, one Redis for the whole demo (REDIS_URL, or a private redis-server, or none), and
// helpers to drive load and read /cluster.
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis, createRedisClient, redactRedisUrl } from '../../src/redis/client.js';
import { findRedisServer, type RedisServer, startRedisServer } from '../../src/redis/server.js';
import type { ClusterStats } from '../../src/stats.js';
import type { CounterVerdict } from '../../src/verdict.js';
import { answersOf } from '../hammer/counter-facts.js';
import { runLoad, type Sample } from '../hammer/load.js';
import { tallySamples } from '../hammer/tally.js';
import { judgeRun, readSettled, readSnapshots } from '../lib/cluster-facts.js';
import { requestJson } from '../lib/http-json.js';
import { ProcessGroup, type RunningServer, startServer } from '../lib/processes.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface LabProcess extends RunningServer {
  args: readonly string[];
}

export interface Stage {
  workers: number;
  /** null: no Redis could be had, and the lessons say how to enable it. */
  redisUrl: string | null;
  redisNote: string;
  /** The redis-server the demo started (its CPU is part of a Redis counter's cost); null otherwise. */
  redisPid: number | null;
  dataDir: string;
  /** Every process the lessons start goes through it: stopped at the end, killed on a second Ctrl-C. */
  group: ProcessGroup;
  /** Give the next clusters a fresh data dir and Redis prefix of their own, so lessons do not mix. */
  begin(lesson: number): void;
  /** Start a lab cluster with these extra args (and environment: secrets); stopped by `stopLab` or at the end. */
  startLab(args?: readonly string[], workers?: number, env?: Record<string, string>): Promise<LabProcess>;
  stopLab(lab: LabProcess): Promise<void>;
  close(): Promise<void>;
  /** Ctrl-C twice: kill everything now. */
  killAll(): void;
}

export const openStage = async ({ workers, env }: { workers: number; env: NodeJS.ProcessEnv }): Promise<Stage> => {
  const group = new ProcessGroup();
  const dataDir = await mkdtemp(join(tmpdir(), 'cluster-state-lab-demo-'));
  let redisServer: RedisServer | null = null;
  let redisUrl: string | null = env.REDIS_URL !== undefined && env.REDIS_URL !== '' ? env.REDIS_URL : null;
  let redisNote = 'Redis: REDIS_URL.';
  // Asked once, here: a REDIS_URL that does not answer would make every lesson's cluster refuse to
  // start (the lab exits when its --redis-url is unreachable), even the lessons that need no Redis.
  let unreachable = '';
  if (redisUrl !== null && !(await answers(redisUrl))) {
    unreachable = `REDIS_URL (${redactRedisUrl(redisUrl)}) does not answer, so the demo goes on without it. `;
    redisUrl = null;
  }
  if (redisUrl === null && (await findRedisServer(env)) !== null) {
    redisServer = await startRedisServer({ dir: join(dataDir, 'redis'), appendOnly: true });
    redisUrl = redisServer.url;
    redisNote = `Redis: ${unreachable}A private redis-server (pid ${redisServer.pid}) on ${redisUrl}, stopped at the end.`;
  } else if (redisUrl === null) {
    redisNote = `Redis: none. ${unreachable}Lessons skip their Redis parts; set REDIS_URL=redis://host:port or install redis-server to see them.`;
  }

  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const prefixRoot = `cluster-state-lab-demo-${runId}`;
  let scope: string[] = [];

  return {
    workers,
    redisUrl,
    redisNote,
    redisPid: redisServer?.pid ?? null,
    dataDir,
    group,
    begin(lesson) {
      scope = ['--data-dir', join(dataDir, `lesson-${lesson}`), '--redis-prefix', `${prefixRoot}-${lesson}:`];
    },
    async startLab(args = [], count = workers, extraEnv = {}) {
      const labArgs = [
        CLI,
        '--log-format',
        'json',
        '--port',
        '0',
        '--workers',
        String(count),
        '--data-dir',
        dataDir,
        ...scope,
        ...args,
      ];
      const server = await startServer({
        group,
        label: 'lab',
        args: labArgs,
        // Through the environment, not argv: a REDIS_URL may carry a password, which `ps` would show.
        env: { ...env, ...extraEnv, REDIS_URL: redisUrl ?? '' },
      });
      return { ...server, args };
    },
    stopLab: (lab) => group.stop(lab.child),
    async close() {
      await group.stopAll();
      // A user's Redis keeps nothing of ours: the demo's keys all start with its run's prefix.
      if (redisServer === null && redisUrl !== null) await deleteKeys(redisUrl, `${prefixRoot}-*`);
      await redisServer?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    killAll: () => group.killAll(),
  };
};

/** One connection attempt, bounded: does this Redis answer? */
const answers = async (url: string): Promise<boolean> => {
  const client = createRedisClient(url, { name: 'cluster-state-lab:demo' });
  client.on('error', () => {});
  try {
    return await connectRedis(client);
  } finally {
    client.disconnect();
  }
};

const deleteKeys = async (url: string, pattern: string): Promise<void> => {
  const client = createRedisClient(url, { name: 'cluster-state-lab:demo' });
  client.on('error', () => {});
  try {
    if (!(await connectRedis(client))) return;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Best effort: a Redis that went away keeps a few demo keys.
  } finally {
    client.disconnect();
  }
};

/** A client with one kept-alive connection, so that every request goes to the same worker. */
export const createPinnedClient = () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    get: <T>(url: string) => getJson<T>(url, agent),
    close: () => agent.destroy(),
  };
};

/** `count` requests at `concurrency`, a new connection each unless `keepAlive`. */
export const hammer = async (url: string, count: number, concurrency: number, keepAlive = false) => {
  const { samples, elapsedMs } = await runLoad({ urls: [url], requests: count, concurrency, keepAlive });
  return { samples, elapsedMs, ok: samples.filter((sample) => sample.status === 200) };
};

/**
 * `count` requests to a counter route, judged as the hammer and the dashboard judge a run
 * (src/verdict.ts): /cluster read before and after, the answers counted here.
 */
export const hammerJudged = async (lab: LabProcess, route: string, count: number, concurrency: number) => {
  const url = `${lab.url}${route}`;
  const before = await readSnapshots([lab.url]);
  const result = await hammer(url, count, concurrency);
  const answers = answersOf(tallySamples([url], result.samples));
  if (typeof answers === 'string') throw new Error(`${route}: ${answers}`);
  const verdict: CounterVerdict = judgeRun(answers, before, await readSettled([lab.url], answers.strategy)).verdict;
  return { ...result, verdict };
};

export interface WorkerLine {
  id: number;
  pid: number;
  requests: number;
  maxCount: number;
}

/** Per worker: requests served and the largest `current_count` it answered. */
export const byWorker = (samples: readonly Sample[]): WorkerLine[] => {
  const lines = new Map<number, WorkerLine>();
  for (const sample of samples) {
    if (sample.workerId === undefined) continue;
    const line = lines.get(sample.workerId) ?? {
      id: sample.workerId,
      pid: sample.workerPid ?? 0,
      requests: 0,
      maxCount: 0,
    };
    line.requests += 1;
    line.maxCount = Math.max(line.maxCount, sample.count ?? 0);
    lines.set(sample.workerId, line);
  }
  return [...lines.values()].sort((a, b) => a.id - b.id);
};

/** One GET, on a fresh connection unless an agent is given; the JSON body. */
export const getJson = async <T>(url: string, agent: Agent | false = false): Promise<T> =>
  (await requestJson<T>(url, { agent, timeoutMs: 5000 })).body;

export const clusterStats = (lab: LabProcess): Promise<ClusterStats> => getJson<ClusterStats>(`${lab.url}/cluster`);
