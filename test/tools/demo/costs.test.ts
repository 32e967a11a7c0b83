import { describe, expect, it } from 'vitest';
import { compareWith, median, spreadText } from '../../../tools/demo/costs.js';

const cost = (strategy: string, cpuUs: (number | null)[]) => ({ strategy, rps: [], cpuUs });

describe('the cost column of lesson 5', () => {
  it('calls a strategy costlier only when it cost more than local in every round (rounds are pairs)', () => {
    // Round 2 was slow for everyone (someone else's load): the pairs still agree.
    const local = cost('local', [50, 400, 60]);
    expect(compareWith(local, cost('ipc', [70, 450, 90]))).toBe('costlier');
    expect(compareWith(local, cost('redis', [58, 380, 90]))).toBe('noise');
    expect(compareWith(local, cost('odd', [30, 300, 45]))).toBe('cheaper');
    expect(compareWith(local, cost('blind', [null, null]))).toBe('unknown');
  });

  it('prints the median and the range of the rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spreadText([1200, 900, 1500])).toBe('1,200 (900–1,500)');
    expect(spreadText([null])).toBe('-');
  });
});
