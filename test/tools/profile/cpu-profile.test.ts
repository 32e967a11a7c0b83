import { describe, expect, it } from 'vitest';
import { type CpuProfile, ownerOf, summarizeProfile } from '../../../tools/profile/cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// Four functions; samples 10 µs apart from t = 1000 µs.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('count', 'file:///app/dist/src/app.js', 101) },
    { id: 4, callFrame: frame('search', 'file:///app/node_modules/hono/dist/router/trie-router/node.js', 50) },
    { id: 5, callFrame: frame('writeHead', 'node:_http_server', 340) },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  startTime: 1000,
  endTime: 1080,
  samples: [2, 3, 3, 4, 5, 6, 3, 2],
  timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10],
};

describe('summarizeProfile', () => {
  it('adds self time per function and per owner, idle left out', () => {
    const summary = summarizeProfile(profile);
    expect(summary.busyUs).toBe(60);
    expect(summary.functions[0]).toEqual({ label: 'count (app.js:102)', owner: 'the lab', selfUs: 30 });
    expect(summary.owners).toEqual([
      { owner: 'the lab', selfUs: 30 },
      { owner: 'hono', selfUs: 10 },
      { owner: 'Node.js', selfUs: 10 },
      { owner: 'V8 garbage collector', selfUs: 10 },
    ]);
  });

  it('counts only the samples inside a window (the measured load, not start-up)', () => {
    // Samples at 1010 … 1080: the window 1035–1065 holds the 4th, 5th and 6th.
    const summary = summarizeProfile(profile, { fromUs: 1035, toUs: 1065 });
    expect(summary.busyUs).toBe(30);
    expect(summary.owners.map(({ owner }) => owner).sort()).toEqual(['Node.js', 'V8 garbage collector', 'hono']);
  });

  it('names scoped packages by scope and name', () => {
    expect(ownerOf(frame('f', 'file:///x/node_modules/@hono/node-server/dist/index.mjs'))).toBe('@hono/node-server');
  });
});
