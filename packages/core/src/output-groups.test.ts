import { describe, expect, it } from 'vitest';
import { formatFailureGroups, formatOutputGroups, groupByOutput } from './output-groups.js';

describe('grouped output', () => {
  it('prints each distinct output once, under the folded hosts that wrote it, the commonest first', () => {
    const groups = groupByOutput([
      { host: 'web1', text: 'Linux\n' },
      { host: 'db1', text: 'FreeBSD\n' },
      { host: 'web2', text: 'Linux\n' },
      { host: 'web3', text: 'Linux\n' },
      { host: 'web7', text: 'Linux\n' },
      { host: 'quiet', text: '' },
    ]);
    expect(groups.map((group) => group.hosts)).toEqual([['web1', 'web2', 'web3', 'web7'], ['db1'], ['quiet']]);
    expect(formatOutputGroups(groups)).toBe(
      [
        '---------------',
        'web[1-3,7] (4)',
        '---------------',
        'Linux',
        '---------------',
        'db1 (1)',
        '---------------',
        'FreeBSD',
        '',
      ].join('\n'),
    );
  });

  it('tells outputs apart by every byte, and keeps each line as it was', () => {
    const groups = groupByOutput([
      { host: 'a1', text: 'x\n' },
      { host: 'a2', text: 'x \n' },
      { host: 'a3', text: 'x\n\n' },
    ]);
    expect(groups).toHaveLength(3);
  });

  it('groups the hosts that did not complete by why', () => {
    const text = formatFailureGroups([
      { host: 'web4', state: 'Failed', reason: 'exit code 1' },
      { host: 'db2', state: 'Failed', reason: 'cannot connect: timed out' },
      { host: 'web5', state: 'Failed', reason: 'exit code 1' },
      { host: 'web6', state: 'Stopped', reason: 'stopped' },
    ]);
    expect(text).toBe('web[4-5] (2) Failed: exit code 1\ndb2 (1) Failed: cannot connect: timed out\nweb6 (1) Stopped: stopped\n');
  });
});
