// The private redis-server a primary starts when the user gave no --redis-url. Private three ways: a
// random password (requirepass, handed over on its stdin, never on a command line), a 0700 directory
// whose files only its owner can read, and one owning cluster (a lock with the primary's pid, taken
// over at once when that primary is dead, and its orphan redis-server stopped). Supervised like a
// worker: when it dies it is restarted on the same port with the same password and directory (its
// append-only file brings the data back); one that keeps dying is given up on, and said so. The
// instructor may stop it on purpose (POST /admin/redis/stop) — that is no death, it stays stopped —
// and start it again on the same port.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { type RedisExit, type RedisServer, type RedisServerOptions, startRedisServer } from '../redis/server.js';
import { sleep } from '../sleep.js';
import { createCrashGuard } from './crash-guard.js';
import { acquireOwnerLock, isRunning, type OwnerRecord } from './owner-lock.js';

/** More deaths than this within REDIS_DEATH_WINDOW_MS and the primary stops restarting it. */
export const REDIS_MAX_DEATHS = 5;
export const REDIS_DEATH_WINDOW_MS = 60_000;
/** Pause between failed restart attempts grows by this much, up to REDIS_RESTART_MAX_DELAY_MS. */
const REDIS_RESTART_DELAY_STEP_MS = 250;
const REDIS_RESTART_MAX_DELAY_MS = 2000;
const ORPHAN_STOP_TIMEOUT_MS = 5000;

export interface PrivateRedis {
  /** With the password: for the workers (over IPC) and the primary's client, never for people. */
  url: string;
  port: number;
  /** The redis-server running now (or the last one, when none runs). */
  pid(): number;
  dir: string;
  /** Where the password is, 0600, for redis-cli (REDISCLI_AUTH="$(cat …)"). */
  passwordFile: string;
  /** Stop it for good (the cluster is stopping) and say what was done; releases the directory. */
  stop(): Promise<void>;
  /** Stop it on purpose, to be started again (POST /admin/redis/stop): not restarted meanwhile. */
  pause(): Promise<void>;
  /** Start it again after a pause, on the same port with the same password and data. */
  resume(): Promise<void>;
  /** Stopped with pause() and not resumed. */
  paused(): boolean;
}

export interface PrivateRedisOptions {
  dataDir: string;
  /** maxmemory in MiB (policy volatile-lru: only keys with a TTL, the cache's, are evicted). */
  maxMemoryMb: number;
  log: Logger;
  /** How to start redis-server (the fleet starts it in a process group of its own). @default child_process.spawn */
  spawnProcess?: RedisServerOptions['spawnProcess'];
}

const describeExit = ({ code, signal }: RedisExit): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;

/** The redis dir is ours alone: a directory (not a link), owned by us, 0700, nothing inside readable by others. */
const ensurePrivateDir = async (dir: string): Promise<void> => {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  const uid = process.getuid?.();
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) {
    throw new AppError(
      'E_DATA_DIR',
      `${dir} is not a directory of this user (uid ${uid}); a private Redis keeps its files there, so pick another --data-dir.`,
    );
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  // Files an earlier version left readable (an append-only file at 0644): tighten them too.
  for (const entry of await readdir(dir, { recursive: true })) {
    const path = join(dir, entry);
    const { mode } = await lstat(path);
    if ((mode & 0o077) !== 0) await chmod(path, mode & 0o700);
  }
};

/** Written 0600 whether or not it existed. */
const writeSecret = async (path: string, text: string): Promise<void> => {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
};

/** Is `pid` a redis-server working in `dir`? Redis chdir()s to its `dir`, so /proc/<pid>/cwd says. */
const isRedisOf = async (pid: number, dir: string): Promise<boolean> => {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.startsWith('redis-server') && !cmdline.includes('/redis-server')) return false;
  const [cwd, wanted] = await Promise.all([realpath(`/proc/${pid}/cwd`).catch(() => null), realpath(dir)]);
  return cwd === wanted;
};

const waitUntilGone = async (pid: number, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (await isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
};

/**
 * A redis-server left running in `dir` by a primary that was SIGKILLed (its pid is in server.pid):
 * we hold the directory now, so it is an orphan. Stopped with SIGTERM (it writes its append-only file
 * and exits), SIGKILL if it will not; what was done is one line in the log.
 */
const stopOrphan = async (dir: string, previous: OwnerRecord | null, log: Logger): Promise<void> => {
  const pid = Number((await readFile(join(dir, 'server.pid'), 'utf8').catch(() => '')).trim());
  const found = Number.isInteger(pid) && pid > 0 && (await isRunning(pid)) && (await isRedisOf(pid, dir));
  const owner = previous === null ? 'an earlier cluster' : `a cluster whose primary (pid ${previous.pid}) is gone`;
  if (!found && Number.isInteger(pid) && pid > 0 && (await isRunning(pid)) && !existsSync('/proc')) {
    log.warn(
      `took over ${dir} from ${owner}; without /proc it cannot tell whether pid ${pid} is its redis-server: stop it yourself if it is`,
    );
    return;
  }
  if (!found) {
    if (previous !== null) log.warn(`took over ${dir} from ${owner}; no redis-server of it was left running`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  if (!(await waitUntilGone(pid, ORPHAN_STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGKILL');
    await waitUntilGone(pid, ORPHAN_STOP_TIMEOUT_MS);
  }
  log.warn(`took over ${dir} from ${owner}: stopped the redis-server it left running (pid ${pid}); its data is kept`, {
    event: 'redis-orphan-stopped',
    orphan_pid: pid,
    previous_owner_pid: previous?.pid ?? null,
  });
};

/**
 * In a process group of its own: a Ctrl-C in the terminal reaches the lab's processes, not its Redis,
 * which the primary stops itself once the workers are done (and restarts only if it dies otherwise).
 * Should the primary be SIGKILLed, the next start finds the orphan and stops it.
 */
const spawnDetached: NonNullable<PrivateRedisOptions['spawnProcess']> = (command, args, options) =>
  spawn(command, [...args], { ...options, detached: true });

export const startPrivateRedis = async ({
  dataDir,
  maxMemoryMb,
  log,
  spawnProcess = spawnDetached,
}: PrivateRedisOptions): Promise<PrivateRedis> => {
  const dir = join(dataDir, 'redis');
  await ensurePrivateDir(dir);
  const lock = await acquireOwnerLock(join(dir, 'owner'));
  if (!lock.ok) {
    const where = lock.owner.host === hostname() ? '' : ` on host ${lock.owner.host}`;
    throw new AppError(
      'E_DATA_DIR',
      `Another cluster (primary pid ${lock.owner.pid}${where}) runs its private redis-server in ${dir}; share it with --redis-url, or use another --data-dir.`,
    );
  }
  const pidFile = join(dir, 'server.pid');
  try {
    await stopOrphan(dir, lock.previous, log);
    const password = randomBytes(32).toString('hex');
    const passwordFile = join(dir, 'password');
    await writeSecret(passwordFile, `${password}\n`);
    const first = await startRedisServer({ dir, password, maxMemoryMb, spawnProcess });
    await writeFile(pidFile, `${first.pid}\n`, { mode: 0o600 });
    return supervise({
      first,
      dir,
      password,
      passwordFile,
      maxMemoryMb,
      log,
      pidFile,
      releaseDir: lock.release,
      spawnProcess,
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
};

interface SuperviseOptions {
  first: RedisServer;
  dir: string;
  password: string;
  passwordFile: string;
  maxMemoryMb: number;
  log: Logger;
  pidFile: string;
  releaseDir: () => Promise<void>;
  spawnProcess: PrivateRedisOptions['spawnProcess'];
}

const supervise = ({
  first,
  dir,
  password,
  passwordFile,
  maxMemoryMb,
  log,
  pidFile,
  releaseDir,
  spawnProcess,
}: SuperviseOptions): PrivateRedis => {
  const { port } = first;
  const deaths = createCrashGuard(REDIS_MAX_DEATHS, REDIS_DEATH_WINDOW_MS);
  let current: RedisServer | null = first;
  let lastPid = first.pid;
  let diedAt: Date | null = null;
  let stopping = false;
  let paused = false;
  let restarting: Promise<void> = Promise.resolve();
  // One pause or resume at a time, in the order asked.
  let switching: Promise<void> = Promise.resolve();

  const watch = (server: RedisServer): void => {
    void server.exited.then((exit) => {
      if (stopping || paused || current !== server) return;
      current = null;
      diedAt = new Date();
      restarting = restart(server, exit);
    });
  };

  const restart = async (dead: RedisServer, exit: RedisExit): Promise<void> => {
    log.warn(`private redis-server (pid ${dead.pid}) ${describeExit(exit)}; restarting it on port ${port}`, {
      event: 'redis-died',
      redis_pid: dead.pid,
      signal: exit.signal,
      code: exit.code,
    });
    for (let failures = 0; ; failures += 1) {
      if (deaths.recordDeath()) {
        const words = dead.lastOutput().split('\n').pop() ?? '';
        log.error(
          `private redis-server died ${REDIS_MAX_DEATHS + 1} times within ${REDIS_DEATH_WINDOW_MS / 1000} s; not restarting it again. The Redis routes answer 503 until the cluster is restarted.${words === '' ? '' : ` Its last words: ${words}`}`,
          { event: 'redis-gave-up' },
        );
        return;
      }
      if (failures > 0) await sleep(Math.min(failures * REDIS_RESTART_DELAY_STEP_MS, REDIS_RESTART_MAX_DELAY_MS));
      if (stopping || paused) return;
      const startedAt = performance.now();
      try {
        const next = await startRedisServer({ dir, password, maxMemoryMb, port, spawnProcess });
        if (stopping || paused) {
          await next.stop();
          return;
        }
        await adopt(next);
        log.info(
          `private redis-server restarted (pid ${next.pid}) on port ${port} in ${Math.round(performance.now() - startedAt)} ms; its append-only file brought the data back`,
          { event: 'redis-restarted', redis_pid: next.pid },
        );
        return;
      } catch (error) {
        log.warn(`could not restart the private redis-server on port ${port}: ${(error as Error).message}`);
      }
    }
  };

  /** A freshly started server becomes the one watched, restarted and stopped. */
  const adopt = async (next: RedisServer): Promise<void> => {
    current = next;
    lastPid = next.pid;
    diedAt = null;
    watch(next);
    // For the next start, should this primary be SIGKILLed: which redis-server is its orphan.
    await writeFile(pidFile, `${next.pid}\n`, { mode: 0o600 }).catch(() => {});
  };

  const pause = async (): Promise<void> => {
    if (stopping || paused) return;
    paused = true;
    // A restart in flight sees `paused` and stops what it started.
    await restarting;
    const server = current;
    current = null;
    if (server !== null) await server.stop();
    log.warn(
      `stopped the private redis-server (pid ${server?.pid ?? lastPid}) on purpose (POST /admin/redis/stop); the Redis routes answer 503 until it is started again`,
      { event: 'redis-paused', redis_pid: server?.pid ?? lastPid },
    );
  };

  const resume = async (): Promise<void> => {
    if (stopping || !paused) return;
    const startedAt = performance.now();
    const next = await startRedisServer({ dir, password, maxMemoryMb, port, spawnProcess }).catch((error: unknown) => {
      throw new AppError(
        'E_REDIS_DOWN',
        `Could not start the private redis-server again on port ${port}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
    paused = false;
    await adopt(next);
    log.info(
      `started the private redis-server again (pid ${next.pid}) on port ${port} in ${Math.round(performance.now() - startedAt)} ms (POST /admin/redis/start)`,
      { event: 'redis-resumed', redis_pid: next.pid },
    );
  };

  const serially = (step: () => Promise<void>): Promise<void> => {
    const run = switching.then(step);
    switching = run.catch(() => {});
    return run;
  };

  watch(first);
  return {
    url: first.url,
    port,
    pid: () => lastPid,
    dir,
    passwordFile,
    pause: () => serially(pause),
    resume: () => serially(resume),
    paused: () => paused,
    async stop() {
      stopping = true;
      // A restart in flight sees `stopping` and stops what it started; so does a pause or resume.
      await restarting;
      await switching;
      const server = current;
      if (server !== null && (await server.stop())) {
        log.info(`stopped the private redis-server (pid ${server.pid})`);
      } else if (paused) {
        log.info('private redis-server was stopped on purpose earlier (POST /admin/redis/stop); nothing to stop');
      } else {
        const when = diedAt === null ? '' : ` at ${diedAt.toISOString().slice(11, 19)}`;
        log.warn(`private redis-server was not running (it died${when} and was not restarted); nothing to stop`);
      }
      await rm(pidFile, { force: true });
      await releaseDir();
    },
  };
};
