// One real redis-server per test project, on a free port in a temp dir, stopped at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findRedisServer, startRedisServer } from '../../src/redis/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if ((await findRedisServer()) === null) {
    throw new Error('The tests need redis-server on PATH: apt-get install -y redis-server (.ci/run does it).');
  }
  const dir = await mkdtemp(join(tmpdir(), 'csl-test-redis-'));
  const server = await startRedisServer({ dir, appendOnly: false });
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
