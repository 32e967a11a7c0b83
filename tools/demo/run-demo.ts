// `npm run demo`: the guided lessons, each on clusters it starts itself on free ports, with figures
// measured live. --list, --lesson N, --workers N.
import { parseFlags, parseIntegerValue } from '../../src/config-parsers.js';
import { AppError } from '../../src/errors.js';
import { atomicLessons } from './lessons-atomic.js';
import { eventLoopLessons } from './lessons-event-loop.js';
import { fencingLessons } from './lessons-fencing.js';
import { fleetLessons } from './lessons-fleet.js';
import { isolationLessons, type Lesson } from './lessons-isolation.js';
import { recyclingLessons } from './lessons-recycling.js';
import { schedulingLessons } from './lessons-scheduling.js';
import { sharingLessons } from './lessons-sharing.js';
import { stampedeLessons } from './lessons-stampede.js';
import { openStage } from './stage.js';

/** Every lesson, in the order of its number (a file may hold lessons that are not neighbours). */
export const LESSONS: readonly Lesson[] = [
  ...isolationLessons,
  ...sharingLessons,
  ...fencingLessons,
  ...schedulingLessons,
  ...fleetLessons,
  ...stampedeLessons,
  ...atomicLessons,
  ...eventLoopLessons,
  ...recyclingLessons,
].sort((a, b) => a.number - b.number);
/** The highest lesson number (lessons are numbered, not counted: numbers are what teachers say). */
const LAST_LESSON = Math.max(...LESSONS.map((lesson) => lesson.number));

export interface DemoArgs {
  help: boolean;
  list: boolean;
  lessons: readonly Lesson[];
  workers: number;
}

export const demoHelpText = (): string =>
  [
    'Guided lessons on process isolation, each measured live on clusters the demo starts and stops.',
    '',
    'Usage: npm run demo -- [--list] [--lesson N] [--workers N]',
    '',
    '  --list         list the lessons',
    `  --lesson <n>   run one lesson (1-${LAST_LESSON}); default: all of them`,
    '  --workers <n>  workers per cluster, 2-16 (default 4)',
    '  -h, --help     show this help',
    '',
    'Redis lessons use REDIS_URL, or a private redis-server when one is on PATH.',
  ].join('\n');

const integer = (raw: string, flag: string, min: number, max: number): number =>
  parseIntegerValue(raw, `\`${flag}\``, min, max);

export const parseDemoArgs = (argv: readonly string[]): DemoArgs => {
  const { values } = parseFlags(argv, {
    help: { type: 'boolean', short: 'h' },
    list: { type: 'boolean' },
    lesson: { type: 'string' },
    workers: { type: 'string' },
  });
  const lesson = typeof values.lesson === 'string' ? integer(values.lesson, '--lesson', 1, LAST_LESSON) : null;
  if (lesson !== null && !LESSONS.some((candidate) => candidate.number === lesson)) {
    throw new AppError('E_CONFIG', `There is no lesson ${lesson}; --list lists them.`);
  }
  return {
    help: values.help === true,
    list: values.list === true,
    lessons: LESSONS.filter((candidate) => lesson === null || candidate.number === lesson),
    workers: typeof values.workers === 'string' ? integer(values.workers, '--workers', 2, 16) : 4,
  };
};

export const listLessons = (): string => LESSONS.map((lesson) => `${lesson.number}. ${lesson.title}`).join('\n');

/** Run the chosen lessons; resolves to the exit code (1 if a lesson failed). */
export const runDemo = async (args: DemoArgs, signal: AbortSignal): Promise<number> => {
  const out = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  const started = performance.now();
  const stage = await openStage({ workers: args.workers, env: process.env });
  const onAbort = (): void => stage.killAll();
  signal.addEventListener('abort', onAbort);
  let failed = 0;
  try {
    out(`cluster-state-lab demo: ${args.lessons.length} lesson(s), ${args.workers} workers per cluster.`);
    out(stage.redisNote);
    for (const lesson of args.lessons) {
      if (signal.aborted) break;
      out();
      out(`── Lesson ${lesson.number}. ${lesson.title}`);
      const lessonStarted = performance.now();
      stage.begin(lesson.number);
      try {
        await lesson.run(stage, out);
        out(`   (${((performance.now() - lessonStarted) / 1000).toFixed(1)} s)`);
      } catch (error) {
        failed += 1;
        out(`Lesson ${lesson.number} could not finish: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stage.close();
  }
  out();
  out(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s; every process the demo started is stopped.`);
  return failed > 0 ? 1 : 0;
};
