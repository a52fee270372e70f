import { describe, expect, it } from 'vitest';
import { HostRangeTooLarge, MalformedHostRange } from './errors.js';
import { expandHostPattern, MAX_HOSTS_PER_SELECTION, splitHostList } from './host-pattern.js';

function fault(text: string): MalformedHostRange {
  try {
    expandHostPattern(text);
  } catch (error) {
    if (error instanceof MalformedHostRange) return error;
    throw error;
  }
  throw new Error(`${text} expanded`);
}

describe('expandHostPattern', () => {
  it('keeps zero padding and lists', () => {
    expect(expandHostPattern('web[01-03]')).toEqual(['web01', 'web02', 'web03']);
    expect(expandHostPattern('web[8-11]')).toEqual(['web8', 'web9', 'web10', 'web11']);
    expect(expandHostPattern('db[1-3,7]')).toEqual(['db1', 'db2', 'db3', 'db7']);
    expect(expandHostPattern('n[1-10/3]')).toEqual(['n1', 'n4', 'n7', 'n10']);
  });

  it('names each number of a range once, in order, as a node set does', () => {
    expect(expandHostPattern('db[3,1-2,2]')).toEqual(['db1', 'db2', 'db3']);
    expect(expandHostPattern('a[1,01]')).toEqual(['a1', 'a01']);
  });

  it('is the cartesian product of several ranges, the last varying fastest', () => {
    expect(expandHostPattern('rack[1-2]-node[01-02]')).toEqual(['rack1-node01', 'rack1-node02', 'rack2-node01', 'rack2-node02']);
  });

  it('keeps the user and port on every host, and leaves IPv6 brackets alone', () => {
    expect(expandHostPattern('deploy@web[1-2]:2222')).toEqual(['deploy@web1:2222', 'deploy@web2:2222']);
    expect(expandHostPattern('[::1]:22')).toEqual(['[::1]:22']);
    expect(expandHostPattern('alice@[fe80::1%eth0]:22')).toEqual(['alice@[fe80::1%eth0]:22']);
    expect(expandHostPattern('web1')).toEqual(['web1']);
  });

  it('says where a range is malformed', () => {
    expect(fault('web[1-')).toMatchObject({ offset: 6, problem: expect.stringContaining('missing ]') });
    expect(fault('web[1-x]')).toMatchObject({ offset: 4 });
    expect(fault('web[1,3-1]')).toMatchObject({ offset: 6, problem: expect.stringContaining('backwards') });
    expect(fault('web[]')).toMatchObject({ offset: 4 });
    expect(fault('web1]')).toMatchObject({ offset: 4 });
    expect(fault('n[01-100]').problem).toContain('padding');
  });

  it('refuses a range past the limit before expanding it', () => {
    expect(() => expandHostPattern('node[1-99999999]')).toThrow(HostRangeTooLarge);
    expect(() => expandHostPattern('a[1-1000]b[1-1000]')).toThrow(`more than the ${MAX_HOSTS_PER_SELECTION.toLocaleString('en')}`);
    expect(expandHostPattern('a[1-5]', 5)).toHaveLength(5);
    expect(() => expandHostPattern('a[1-6]', 5)).toThrow(HostRangeTooLarge);
  });
});

describe('splitHostList', () => {
  it('splits at top-level commas only', () => {
    expect(splitHostList('a, db[1-3,7],,[::1]:22 ,b')).toEqual(['a', 'db[1-3,7]', '[::1]:22', 'b']);
  });
});
