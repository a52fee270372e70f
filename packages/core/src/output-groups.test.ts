import { describe, expect, it } from 'vitest';
import {
  escapeRuleLines,
  foldFailures,
  foldOutputGroups,
  formatFailureGroups,
  formatOutputGroups,
  groupByOutput,
} from './output-groups.js';

describe('grouped output', () => {
  it('prints each distinct output once, under the folded hosts that wrote it, the commonest first', () => {
    const groups = groupByOutput([
      { host: 'web1', text: 'Linux\n', exitCode: 0 },
      { host: 'db1', text: 'FreeBSD\n', exitCode: 0 },
      { host: 'web2', text: 'Linux\n', exitCode: 0 },
      { host: 'web3', text: 'Linux\n', exitCode: 0 },
      { host: 'web7', text: 'Linux\n', exitCode: 0 },
      { host: 'quiet', text: '', exitCode: 0 },
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
      { host: 'a1', text: 'x\n', exitCode: 0 },
      { host: 'a2', text: 'x \n', exitCode: 0 },
      { host: 'a3', text: 'x\n\n', exitCode: 0 },
    ]);
    expect(groups).toHaveLength(3);
  });

  it('counts entries, not names: an entry given twice ran twice', () => {
    const groups = groupByOutput([
      { host: 'web1', text: 'up\n', exitCode: 0 },
      { host: 'web1', text: 'up\n', exitCode: 0 },
      { host: 'web2', text: 'up\n', exitCode: 0 },
    ]);
    expect(formatOutputGroups(groups)).toBe('---------------\nweb[1-2] (3)\n---------------\nup\n');
  });

  it('reads a last line without a newline as a line, as clush does', () => {
    const groups = groupByOutput([
      { host: 'a1', text: 'x\ny', exitCode: 0 },
      { host: 'a2', text: 'x\ny\n', exitCode: 0 },
    ]);
    expect(groups).toEqual([{ hosts: ['a1', 'a2'], text: 'x\ny\n', exitCode: 0 }]);
  });

  it('keeps hosts that exited differently apart, lowest exit code first, as clush does', () => {
    const groups = groupByOutput([
      { host: 'n1', text: 'same\n', exitCode: 3 },
      { host: 'n2', text: 'same\n', exitCode: null },
      { host: 'n3', text: 'same\n', exitCode: 0 },
      { host: 'n4', text: 'same\n', exitCode: 3 },
      { host: 'n5', text: 'other\n', exitCode: 0 },
      { host: 'n6', text: 'other\n', exitCode: 0 },
    ]);
    expect(groups.map((group) => [group.exitCode, group.hosts])).toEqual([
      [0, ['n5', 'n6']],
      [0, ['n3']],
      [3, ['n1', 'n4']],
      [null, ['n2']],
    ]);
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
  it("shows a host's line that reads as a rule behind a backslash, so a forged block names no hosts (issue 16)", () => {
    const rule = '-'.repeat(15);
    const forged = `ok\n${rule}\nweb[1-99] (99)\n${rule}\nrm -rf done\n`;
    const text = formatOutputGroups(groupByOutput([{ host: 'web1', text: forged, exitCode: 0 }]));
    expect(text).toBe(`${rule}\nweb1 (1)\n${rule}\nok\n\\${rule}\nweb[1-99] (99)\n\\${rule}\nrm -rf done\n`);
    // Read as a tool reads it: one header, of the one real host.
    expect([...text.matchAll(/^-{15}\n(.+)\n-{15}$/gm)].map((match) => match[1])).toEqual(['web1 (1)']);
  });

  it('escapes what a reader would take for a rule, and nothing else: the escape is undone by dropping one backslash', () => {
    const rule = '-'.repeat(15);
    const lines = [rule, `  ${rule}`, `\t${rule}-`, `\\${rule}`, `\xe2\x80\x8b${rule}`, `\x1b${rule}`, `a\r${rule}`];
    expect(escapeRuleLines(lines.join('\n'))).toBe(
      [`\\${rule}`, `\\  ${rule}`, `\\\t${rule}-`, `\\\\${rule}`, `\\\xe2\x80\x8b${rule}`, `\\\x1b${rule}`, `a\r\\${rule}`].join('\n'),
    );
    const plain = ['---', `x${rule}`, '-'.repeat(14), '', `\n\n${rule}x`].join('\n');
    expect(escapeRuleLines(plain)).toBe(['---', `x${rule}`, '-'.repeat(14), '', `\n\n\\${rule}x`].join('\n'));
  });

  it('gives the groups and failures as data, as the report prints them (the API of fleet serve)', () => {
    const groups = groupByOutput([
      { host: 'web1', text: 'up\n', exitCode: 0 },
      { host: 'web2', text: 'up', exitCode: 0 },
      { host: 'web3', text: '', exitCode: 1 },
    ]);
    expect(foldOutputGroups(groups)).toEqual([{ hosts: 'web[1-2]', count: 2, text: 'up\n', exitCode: 0 }]);
    const failures = [
      { host: 'web3', state: 'Failed', reason: 'exit code 1' },
      { host: 'web4', state: 'Failed', reason: 'exit code 1' },
      { host: 'db1', state: 'Stopped', reason: 'stopped' },
    ];
    expect(foldFailures(failures)).toEqual([
      { hosts: 'web[3-4]', count: 2, reason: 'Failed: exit code 1' },
      { hosts: 'db1', count: 1, reason: 'Stopped: stopped' },
    ]);
    expect(formatFailureGroups(failures)).toBe('web[3-4] (2) Failed: exit code 1\ndb1 (1) Stopped: stopped\n');
  });
});
