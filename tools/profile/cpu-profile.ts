// Reading a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function and per owner
// (the lab, Hono, @hono/node-server, prom-client, Node's own code, V8), so that "what does the lab
// add per request" is a table rather than a flame graph to squint at.
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name (file:line)`, or V8's own label: (garbage collector), (program), (idle). */
  label: string;
  owner: string;
  /** Microseconds of samples spent in this function itself. */
  selfUs: number;
}

export interface ProfileSummary {
  /** Microseconds the process was not idle. */
  busyUs: number;
  functions: SelfTime[];
  owners: { owner: string; selfUs: number }[];
}

/** Which code a frame belongs to: a package under node_modules, the lab (src/), Node, or V8. */
export const ownerOf = (frame: CallFrame): string => {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(idle)') return 'idle';
    return functionName.startsWith('(') ? `V8 ${functionName}` : 'V8 builtins';
  }
  if (url.startsWith('node:')) return 'Node.js';
  const packageAt = url.lastIndexOf('/node_modules/');
  if (packageAt !== -1) {
    const rest = url.slice(packageAt + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const labAt = url.indexOf('/dist/src/');
  if (labAt !== -1) return 'the lab';
  return url;
};

const labelOf = (frame: CallFrame): string => {
  if (frame.url === '') return frame.functionName;
  const file = frame.url.slice(frame.url.lastIndexOf('/') + 1);
  return `${frame.functionName === '' ? '(anonymous)' : frame.functionName} (${file}:${frame.lineNumber + 1})`;
};

/**
 * Monotonic microseconds (CLOCK_MONOTONIC, as V8 stamps its samples and `process.hrtime` reads it in
 * any process on the machine): only samples inside it count, so start-up and shutdown stay out.
 */
export interface Window {
  fromUs: number;
  toUs: number;
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Self time per function and per owner, idle left out; only inside `window` when one is given. */
export const summarizeProfile = (profile: CpuProfile, window?: Window): ProfileSummary => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfById = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
    selfById.set(id, (selfById.get(id) ?? 0) + delta);
  });
  const functions = new Map<string, SelfTime>();
  const owners = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfById) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const owner = ownerOf(node.callFrame);
    if (owner === 'idle') continue;
    busyUs += us;
    const label = labelOf(node.callFrame);
    const entry = functions.get(label) ?? { label, owner, selfUs: 0 };
    entry.selfUs += us;
    functions.set(label, entry);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  return {
    busyUs,
    functions: [...functions.values()].sort((a, b) => b.selfUs - a.selfUs),
    owners: [...owners].map(([owner, selfUs]) => ({ owner, selfUs })).sort((a, b) => b.selfUs - a.selfUs),
  };
};

export const readProfile = async (path: string): Promise<CpuProfile> =>
  JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
