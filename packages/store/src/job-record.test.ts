import { describe, expect, it } from 'vitest';
import { newJobHash, parseJobHash } from './job-record.js';

const base = { name: 'Job1', type: 'remote' as const, command: 'uptime', createdAt: '2026-11-24T10:00:00.000Z' };

describe('job records', () => {
  it('round-trips a leaf as NotStarted with SPEC keys in order', () => {
    const record = parseJobHash(newJobHash({ ...base, id: 8, location: 'web1', parentId: 7, childIds: [] }));
    expect(Object.keys(record!.view)).toEqual(
      'id name type state hasMoreData location command parentId childIds beganAt endedAt exitCode reason'.split(' '),
    );
    expect(record!.view).toMatchObject({ id: 8, state: 'NotStarted', parentId: 7, childIds: [], hasMoreData: false });
    expect(record!.rootId).toBe(7);
  });

  it('rolls a parent up from its counters', () => {
    const hash = newJobHash({ ...base, id: 7, location: 'a,b', parentId: null, childIds: [8, 9] });
    expect(parseJobHash(hash)!.view.state).toBe('Running');
    const done = { ...hash, completed: '1', failed: '1', endedAt: '2026-11-24T10:00:01.000Z', unreadTotal: '1' };
    const view = parseJobHash(done)!.view;
    expect(view).toMatchObject({ state: 'Failed', reason: '1 failed of 2 children', hasMoreData: true, parentId: null });
  });

  it('gives a transfer parent its bytes, and other jobs none', () => {
    const parent = { ...base, id: 7, location: 'a,b', parentId: null, childIds: [8, 9] };
    const push = newJobHash({ ...parent, transfer: { done: 0, total: 2048 } });
    expect(parseJobHash({ ...push, bytesDone: '1024' })!.progress.bytes).toEqual({ done: 1024, total: 2048 });
    const pull = newJobHash({ ...parent, transfer: { done: 0, total: null } });
    expect(parseJobHash(pull)!.progress.bytes).toEqual({ done: 0, total: null });
    expect(parseJobHash(newJobHash(parent))!.progress.bytes).toBeUndefined();
  });

  it('ignores a hash that is gone', () => {
    expect(parseJobHash({})).toBeNull();
  });
});
