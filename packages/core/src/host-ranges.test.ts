import { describe, expect, it } from 'vitest';
import { foldHosts, foldHostsByReason } from './host-ranges.js';

describe('foldHosts', () => {
  it('folds names that differ in their last number into ranges', () => {
    expect(foldHosts(['web1', 'web2', 'web3', 'web7', 'db'])).toBe('db,web[1-3,7]');
    expect(foldHosts(['web9', 'web10', 'web11'])).toBe('web[9-11]');
    expect(foldHosts(['rack1-node3', 'rack1-node4', 'rack2-node3'])).toBe('rack1-node[3-4],rack2-node3');
  });

  it('keeps zero padding, and does not join numbers padded differently', () => {
    expect(foldHosts(['web01', 'web02', 'web03', 'web10'])).toBe('web[01-03,10]');
    expect(foldHosts(['n09', 'n10'])).toBe('n[09-10]');
    expect(foldHosts(['n9', 'n010'])).toBe('n[9,010]');
  });

  it('folds addresses on their last part, keeps a suffix, and leaves single names alone', () => {
    expect(foldHosts(['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.2.1'])).toBe('127.0.1.[1-3],127.0.2.1');
    expect(foldHosts(['web1.example.com', 'web2.example.com'])).toBe('web[1-2].example.com');
    expect(foldHosts(['alpha'])).toBe('alpha');
    expect(foldHosts([])).toBe('');
  });

  it('names each host once, however often it is given', () => {
    expect(foldHosts(['web1', 'web1', 'web2'])).toBe('web[1-2]');
  });
});

describe('foldHostsByReason', () => {
  it('names each reason once, its hosts folded and its entries counted, the commonest first', () => {
    const items = [
      { host: 'web03', reason: 'connection refused' },
      { host: 'web05', reason: 'exit code 1' },
      { host: 'web17', reason: 'connection refused' },
      { host: 'web18', reason: 'connection refused' },
      { host: 'web19', reason: 'connection refused' },
      { host: 'web05', reason: 'exit code 1' },
    ];
    expect(foldHostsByReason(items)).toEqual([
      { reason: 'connection refused', hosts: 'web[03,17-19]', count: 4 },
      { reason: 'exit code 1', hosts: 'web05', count: 2 },
    ]);
  });

  it('puts a reason on one line, so that it cannot print a report line of its own (issue 16)', () => {
    const forged = 'exit code 1\nweb[1-99] (99) Completed\r\n';
    expect(foldHostsByReason([{ host: 'web1', reason: forged }])).toEqual([
      { reason: 'exit code 1 web[1-99] (99) Completed', hosts: 'web1', count: 1 },
    ]);
  });
});
