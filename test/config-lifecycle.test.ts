import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('the lifecycle options', () => {
  it('default to a 5 s heartbeat grace, 10 s / 30 s client timeouts and round robin', () => {
    expect(loadConfig([], {}).config).toMatchObject({
      heartbeatGraceMs: 5000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      schedule: 'rr',
    });
  });

  it('take --schedule from CLUSTER_SCHEDULE, and the flag over it', () => {
    expect(loadConfig([], { CLUSTER_SCHEDULE: 'os' }).config.schedule).toBe('os');
    expect(loadConfig(['--schedule', 'rr'], { CLUSTER_SCHEDULE: 'os' }).config.schedule).toBe('rr');
    expect(() => loadConfig([], { CLUSTER_SCHEDULE: 'none' })).toThrow(
      'Expected `CLUSTER_SCHEDULE` to be one of rr, os, got `none`.',
    );
  });

  it('accept a heartbeat grace of 0 (off), and refuse headers that may take longer than the request', () => {
    expect(loadConfig(['--heartbeat-grace-ms', '0'], {}).config.heartbeatGraceMs).toBe(0);
    expect(() => loadConfig(['--headers-timeout-ms', '40000'], {})).toThrow(
      'Expected `--headers-timeout-ms` (40000) to be at most `--request-timeout-ms` (30000): the headers are part of the request.',
    );
    expect(() => loadConfig(['--headers-timeout-ms', '500'], {})).toThrow(
      'Expected `--headers-timeout-ms` to be an integer from 1000 to 600000, got `500`.',
    );
  });
});
