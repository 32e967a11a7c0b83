// Runs autocannon in its own process, so that the load generator's event loop is never the bench's.
// One process serves the whole bench (no node start-up per measurement): it reads one RunnerInput
// per line on stdin and answers one RunnerOutput per line on stdout; it ends with its stdin.
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type { LoadSummary, RunnerInput, RunnerOutput } from './load.js';

const measure = async (input: RunnerInput): Promise<LoadSummary> => {
  const result = await autocannon({
    url: input.url,
    connections: input.connections,
    ...(input.amount === undefined ? { duration: input.durationS } : { amount: input.amount }),
    ...(input.sampleIntMs === undefined ? {} : { sampleInt: input.sampleIntMs }),
    ...(input.paths.length > 1 ? { requests: input.paths.map((path) => ({ method: 'GET' as const, path })) } : {}),
    timeout: 10,
  });
  return {
    requests_per_s: result.requests.average,
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    latency_mean_ms: result.latency.mean,
    ok_2xx: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    total: result.requests.total,
    duration_s: result.duration,
  };
};

const answer = (output: RunnerOutput): void => {
  process.stdout.write(`${JSON.stringify(output)}\n`);
};

const serve = async (): Promise<void> => {
  // One measurement at a time: two at once would measure each other.
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    const input = JSON.parse(line) as RunnerInput;
    try {
      answer({ id: input.id, summary: await measure(input) });
    } catch (error) {
      answer({ id: input.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
};

serve().catch((error: unknown) => {
  process.stderr.write(`autocannon runner: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
