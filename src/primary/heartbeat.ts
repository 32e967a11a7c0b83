// The primary's heartbeat: every interval it asks each serving worker "are you there?" over IPC. A
// worker answers from its event loop, so silence means a stopped process (SIGSTOP, a debugger, a
// frozen container) or a loop blocked by synchronous work. Without this, such a worker keeps its
// place in the rotation and its clients wait as long as it is stuck, with nothing in the log. A
// silent worker is logged; past the grace it is killed (SIGKILL) and, like any death, replaced.
import type { Worker } from 'node:cluster';
import type { PrimaryChannel } from '../ipc/protocol.js';
import type { Logger } from '../log.js';

/** The longest and shortest pause between two heartbeats. */
const MAX_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;

export interface HeartbeatOptions {
  /** Silence longer than this gets the worker killed; 0 turns the heartbeat off. */
  graceMs: number;
  /** The workers that serve now: a booting, draining or leaving worker has its own bounds. */
  workers: () => readonly Worker[];
  channelOf: (worker: Worker) => PrimaryChannel | undefined;
  log: Logger;
  /** Kill a worker that stays silent. @default SIGKILL to its process */
  kill?: (worker: Worker) => void;
}

interface Beat {
  /** When this worker last answered (or started being watched). */
  lastAnswer: number;
  asking: boolean;
  warned: boolean;
  killed: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The pause between heartbeats: a few per grace, so that a silent worker is caught close to it. */
export const heartbeatIntervalMs = (graceMs: number): number =>
  Math.max(MIN_INTERVAL_MS, Math.min(MAX_INTERVAL_MS, Math.floor(graceMs / 4)));

export const startHeartbeat = ({
  graceMs,
  workers,
  channelOf,
  log,
  kill = (worker) => worker.process.kill('SIGKILL'),
}: HeartbeatOptions): { stop(): void } => {
  if (graceMs === 0) return { stop() {} };
  const intervalMs = heartbeatIntervalMs(graceMs);
  const beats = new Map<Worker, Beat>();
  let lastTick = performance.now();

  const ask = (worker: Worker, beat: Beat): void => {
    const channel = channelOf(worker);
    if (channel === undefined || beat.asking) return;
    beat.asking = true;
    channel.request('heartbeat', null, { timeoutMs: graceMs, what: 'the heartbeat' }).then(
      () => {
        const now = performance.now();
        if (beat.warned && !beat.killed) {
          log.info(
            `worker ${worker.id} (pid ${worker.process.pid}) answers again after ${seconds(now - beat.lastAnswer)}`,
          );
        }
        beat.asking = false;
        beat.warned = false;
        beat.lastAnswer = now;
      },
      () => {
        // Timed out or the channel closed (the worker exited): the next tick judges by lastAnswer.
        beat.asking = false;
      },
    );
  };

  const tick = (): void => {
    const now = performance.now();
    const late = now - lastTick - intervalMs;
    lastTick = now;
    const serving = new Set(workers());
    for (const worker of beats.keys()) if (!serving.has(worker)) beats.delete(worker);
    for (const worker of serving) {
      let beat = beats.get(worker);
      if (beat === undefined) {
        beat = { lastAnswer: now, asking: false, warned: false, killed: false };
        beats.set(worker, beat);
      }
      // The primary itself was stopped or starved: its workers had no chance to answer it.
      if (late > intervalMs) beat.lastAnswer += late;
      const silentMs = now - beat.lastAnswer;
      if (silentMs >= graceMs && !beat.killed) {
        beat.killed = true;
        log.error(
          `worker ${worker.id} (pid ${worker.process.pid}) has not answered the heartbeat for ${seconds(silentMs)} (stopped, or its event loop is blocked); killing it (SIGKILL) and starting a replacement`,
          {
            event: 'heartbeat-kill',
            worker_id: worker.id,
            worker_pid: worker.process.pid ?? 0,
            silent_ms: Math.round(silentMs),
          },
        );
        kill(worker);
      } else if (silentMs >= 2 * intervalMs && !beat.warned && !beat.killed) {
        beat.warned = true;
        log.warn(
          `worker ${worker.id} (pid ${worker.process.pid}) has not answered the heartbeat for ${seconds(silentMs)}; it is replaced if it stays silent for ${seconds(graceMs)} (--heartbeat-grace-ms)`,
          {
            event: 'heartbeat-late',
            worker_id: worker.id,
            worker_pid: worker.process.pid ?? 0,
            silent_ms: Math.round(silentMs),
          },
        );
      }
      ask(worker, beat);
    }
  };

  const timer = setInterval(tick, intervalMs);
  // The heartbeat never keeps the primary alive by itself.
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      beats.clear();
    },
  };
};
