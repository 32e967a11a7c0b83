// The hammer's side of a measured verdict: which strategy its answers came from, how many, and the
// largest each worker gave; /cluster before and after (tools/lib/cluster-facts.ts) supplies the rest.
// When /cluster cannot be read (an older lab, a plain HTTP server) the report says why and falls back
// to what the answers alone can say, labelled as the weaker reading it is.
import { judgeRun, type RunAnswers, readSettled, type Snapshot, unreadable } from '../lib/cluster-facts.js';
import type { CounterFacts } from './report.js';
import type { Tally } from './tally.js';

/** The run's counter answers, or why they cannot be judged as one strategy. */
export const answersOf = (tally: Tally): RunAnswers | string => {
  const strategies = [...tally.strategies.keys()];
  if (strategies.length !== 1) {
    return strategies.length === 0
      ? 'the answers name no strategy'
      : `the answers came from ${strategies.length} strategies (${strategies.join(', ')}); judge one at a time`;
  }
  const workers = tally.instances.flatMap((instance) => [...instance.workers.values()]);
  return {
    strategy: strategies[0] as string,
    expected: tally.instances.reduce((sum, instance) => sum + instance.counted, 0),
    largest: workers.flatMap((worker) =>
      worker.max === null ? [] : [{ instance: worker.name, id: worker.id, pid: worker.pid, max: worker.max }],
    ),
  };
};

/** After the run: read /cluster again (settled) and judge, or say why not. */
export const counterFacts = async (
  tally: Tally,
  origins: readonly string[],
  before: readonly Snapshot[],
): Promise<CounterFacts | undefined> => {
  if (tally.instances.every((instance) => instance.counted === 0)) return undefined;
  const answers = answersOf(tally);
  if (typeof answers === 'string') return { basis: 'answers', why: answers };
  const beforeWhy = unreadable(before);
  if (beforeWhy !== undefined) return { basis: 'answers', why: beforeWhy };
  const after = await readSettled(origins, answers.strategy);
  const afterWhy = unreadable(after);
  if (afterWhy !== undefined) return { basis: 'answers', why: afterWhy };
  return { basis: 'cluster', judged: judgeRun(answers, before, after) };
};
