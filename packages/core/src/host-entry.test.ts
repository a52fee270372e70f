import { describe, expect, it } from 'vitest';
import { HostEntryError, HostRangeTooLarge } from './errors.js';
import { parseHostEntry } from './host-entry.js';
import { combineHostLists, parseComputerNames, parseHostList } from './host-list.js';

describe('parseHostEntry', () => {
  it.each([
    ['web1', { user: null, host: 'web1', port: null, local: false }],
    ['alice@web1.example.com:2222', { user: 'alice', host: 'web1.example.com', port: 2222, local: false }],
    ['127.0.1.5', { user: null, host: '127.0.1.5', port: null, local: false }],
    ['root@[::1]:22', { user: 'root', host: '::1', port: 22, local: false }],
    ['[fe80::1%eth0]', { user: null, host: 'fe80::1%eth0', port: null, local: false }],
    ['::1', { user: null, host: '::1', port: null, local: false }],
    ['localhost', { user: null, host: 'localhost', port: null, local: true }],
  ])('parses %s', (text, expected) => {
    expect(parseHostEntry(text)).toEqual({ raw: text, ...expected });
  });

  it('runs only the bare entry localhost locally', () => {
    for (const text of ['user@localhost', 'localhost:22', '127.0.0.1']) expect(parseHostEntry(text).local).toBe(false);
  });

  it.each([
    ['-oProxyCommand=x', /not a host name/],
    ['a;b', /not a host name/],
    ['$(x)', /not a host name/],
    ['host name', /white space/],
    ['a\u0000b', /control character/],
    ['@web1', /a group \(@name\) is expanded before entries are parsed/],
    ['@all', /a group \(@name\) is expanded before entries are parsed/],
    ['-l@web1', /not a valid login name/],
    ['web1:0', /between 1 and 65535/],
    ['web1:70000', /between 1 and 65535/],
    ['web1:ssh', /not a number/],
    ['[::1', /missing \]/],
    ['web1.', /not a host name/],
    ['`id`', /not a host name/],
  ])('refuses %j', (text, problem) => {
    expect(() => parseHostEntry(text)).toThrow(problem);
  });
});

describe('parseHostList', () => {
  it('skips blanks and comments and keeps duplicates in order', () => {
    const hosts = parseHostList('# fleet\nweb1\n\n  web2  # rack 2\nweb1\n', 'computers.txt');
    expect(hosts.map((host) => host.raw)).toEqual(['web1', 'web2', 'web1']);
  });

  it('names the file, line and entry of a bad entry', () => {
    const error = caught(() => parseHostList('web1\n\nweb 2\n', 'hosts.txt'));
    expect(error).toBeInstanceOf(HostEntryError);
    expect((error as HostEntryError).entries).toEqual([
      { source: 'hosts.txt', line: 3, entry: 'web 2', problem: 'contains white space or a control character' },
    ]);
    expect((error as Error).message).toBe('hosts.txt:3: bad host entry "web 2": contains white space or a control character');
  });

  it('reports every bad line, not only the first, in one error', () => {
    const error = caught(() => parseHostList('a;b\nweb1\n# fine\n-x\n@all\n', 'hosts.txt')) as HostEntryError;
    expect(error.entries.map(({ line, entry }) => [line, entry])).toEqual([
      [1, 'a;b'],
      [4, '-x'],
      [5, '@all'],
    ]);
    expect(error.message.split('\n')).toEqual([
      '3 bad host entries:',
      '  hosts.txt:1: bad host entry "a;b": "a;b" is not a host name or address',
      '  hosts.txt:4: bad host entry "-x": "-x" is not a host name or address',
      '  hosts.txt:5: bad host entry "@all": a group (@name) is expanded before entries are parsed, not as an entry; name the hosts with -c a,b,c or -f FILE',
    ]);
  });

  it('combines the bad entries of a file and of -c into one error, and the entries of both in order', () => {
    expect(
      combineHostLists([() => parseHostList('web1\n', 'hosts'), () => parseComputerNames('web2,web3')]).map((host) => host.raw),
    ).toEqual(['web1', 'web2', 'web3']);
    const error = caught(() =>
      combineHostLists([() => parseHostList('web1\na;b\n', 'hosts'), () => parseComputerNames('web2,@web')]),
    ) as HostEntryError;
    expect(error.entries.map(({ source, line }) => `${source}:${line}`)).toEqual(['hosts:2', '--computer-name:2']);
  });

  it('reads comma-separated names', () => {
    expect(parseComputerNames('a, b,,c').map((host) => host.raw)).toEqual(['a', 'b', 'c']);
  });

  it('expands ranges in -c and in files, splitting -c at commas outside brackets only', () => {
    expect(parseComputerNames('db[1-3,7],u@web[01-02]:2222,[::1]:22').map((host) => host.raw)).toEqual([
      'db1',
      'db2',
      'db3',
      'db7',
      'u@web01:2222',
      'u@web02:2222',
      '[::1]:22',
    ]);
    expect(parseComputerNames('u@web[1-2]:2222')[1]).toMatchObject({ user: 'u', host: 'web2', port: 2222 });
    expect(parseHostList('web[1-2]\nweb1\n', 'hosts').map((host) => host.raw)).toEqual(['web1', 'web2', 'web1']);
  });

  it('reports a malformed range with its source, line and offset, and a caret under the fault', () => {
    const error = caught(() => parseHostList('web1\nweb[1-\n', 'hosts.txt')) as HostEntryError;
    expect(error).toBeInstanceOf(HostEntryError);
    expect(error.entries).toEqual([
      { source: 'hosts.txt', line: 2, entry: 'web[1-', problem: expect.stringContaining('missing ]'), offset: 6 },
    ]);
    expect(error.message).toContain('\n    web[1-\n          ^');
    const bad = caught(() => parseComputerNames('a;b[1-2]')) as HostEntryError;
    expect(bad.entries[0]?.problem).toContain('a;b1: ');
  });

  it('refuses a selection past the limit before expanding it', () => {
    expect(() => parseComputerNames('node[1-99999999]')).toThrow(HostRangeTooLarge);
    expect(() => parseComputerNames('a[1-60000],b[1-60000]')).toThrow(HostRangeTooLarge);
    expect(() => combineHostLists([() => parseComputerNames('a[1-60000]'), () => parseComputerNames('b[1-60000]')])).toThrow(
      HostRangeTooLarge,
    );
  });
});

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}
