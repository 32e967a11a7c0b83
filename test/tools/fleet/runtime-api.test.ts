import { describe, expect, it } from 'vitest';
import { parseShowStat, splitCsvLine } from '../../../tools/fleet/runtime-api.js';

describe('show stat', () => {
  it('splits CSV with quoted fields', () => {
    expect(splitCsvLine('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
  });

  it('reads fields by the names in its header, whatever their order', () => {
    const csv = [
      '# svname,pxname,status,scur,stot,chkfail,check_status,req_tot,hrsp_5xx,',
      'host-1,hosts,UP,2,40,0,L7OK,38,1,',
      'host-2,hosts,DOWN,0,12,4,L4CON,,0,',
      '',
    ].join('\n');
    const [one, two] = parseShowStat(csv);
    expect(one).toMatchObject({
      proxy: 'hosts',
      name: 'host-1',
      status: 'UP',
      current_sessions: 2,
      total_sessions: 40,
    });
    expect(one).toMatchObject({ failed_checks: 0, check: 'L7OK', requests: 38, responses: { '5xx': 1 } });
    expect(two).toMatchObject({ status: 'DOWN', failed_checks: 4, check: 'L4CON', requests: null, retries: null });
  });

  it('refuses what is not show stat output', () => {
    expect(() => parseShowStat('Unknown command.\n')).toThrow(/Not the output of show stat/);
  });
});
