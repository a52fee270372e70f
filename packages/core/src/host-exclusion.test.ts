import { describe, expect, it } from 'vitest';
import { HostEntryError } from './errors.js';
import { excludeHosts } from './host-exclusion.js';
import { parseComputerNames } from './host-list.js';

const hosts = parseComputerNames('web[1-4],u@db1:2222,db2,web1,[::1]:22');
const raw = (list: readonly string[]) => excludeHosts(hosts, list).kept.map((entry) => entry.raw);

describe('excludeHosts', () => {
  it('removes hosts and ranges, every time they were given', () => {
    expect(raw(['web1'])).toEqual(['web2', 'web3', 'web4', 'u@db1:2222', 'db2', '[::1]:22']);
    expect(raw(['web[2-3],db2', 'web4'])).toEqual(['web1', 'u@db1:2222', 'web1', '[::1]:22']);
  });

  it('matches globs and host names as well as entries as written', () => {
    expect(raw(['web*'])).toEqual(['u@db1:2222', 'db2', '[::1]:22']);
    expect(raw(['db?'])).toEqual(['web1', 'web2', 'web3', 'web4', 'web1', '[::1]:22']);
    expect(raw(['u@db1:2222', '::1'])).toEqual(['web1', 'web2', 'web3', 'web4', 'db2', 'web1']);
  });

  it('names the patterns that matched nothing', () => {
    expect(excludeHosts(hosts, ['web1,mail*,x[1-2]']).unmatched).toEqual(['mail*', 'x[1-2]']);
  });

  it('refuses a malformed range as a bad entry of --exclude', () => {
    expect(() => excludeHosts(hosts, ['web1,web[2-'])).toThrow(HostEntryError);
    expect(() => excludeHosts(hosts, ['web1,web[2-'])).toThrow('--exclude:2: bad host entry "web[2-"');
    expect(() => excludeHosts(hosts, ['@db'])).toThrow('--exclude:1: bad host entry "@db": groups (@name) cannot be looked up here');
  });
});
