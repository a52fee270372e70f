import type { JobView } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { formatHostSummary, summaryLine } from './host-summary.js';

function child(location: string, state: JobView['state'], reason: string | null = null): JobView {
  return {
    id: 0,
    name: '',
    type: 'remote',
    state,
    hasMoreData: false,
    location,
    command: 'true',
    parentId: 1,
    childIds: [],
    beganAt: null,
    endedAt: null,
    exitCode: null,
    reason,
  };
}

describe('formatHostSummary', () => {
  it('says how many completed, and nothing more when all did', () => {
    expect(formatHostSummary([child('web1', 'Completed'), child('web2', 'Completed')])).toBe('2 of 2 hosts completed');
  });

  it('names each reason once, with its hosts folded and its entries counted, as clush does', () => {
    const children = [
      child('web01', 'Completed'),
      ...['web03', 'web17', 'web18', 'web19'].map((host) => child(host, 'Failed', 'connection refused')),
      child('web05', 'Failed', 'exit code 1'),
      child('web05', 'Failed', 'exit code 1'),
      child('web06', 'Stopped'),
    ];
    expect(formatHostSummary(children)).toBe(
      '1 of 8 hosts completed; failed: web[03,17-19] (4): connection refused; failed: web05 (2): exit code 1; stopped: web06 (1): stopped',
    );
  });
});

describe('summaryLine', () => {
  it('is the head alone when nothing missed', () => {
    expect(summaryLine('2 of 2 hosts deployed', [])).toBe('2 of 2 hosts deployed');
  });
});
