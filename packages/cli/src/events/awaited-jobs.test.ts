import { describe, expect, it } from 'vitest';
import { AwaitedJobs } from './awaited-jobs.js';

const state = (jobId: number, value: 'Running' | 'Completed' | 'Failed', rootId = jobId) => ({
  event: 'state' as const,
  jobId,
  rootId,
  state: value,
});
const removed = (rootId: number) => ({ event: 'removed' as const, jobId: rootId, rootId, state: null });

describe('AwaitedJobs', () => {
  it('is done once every job named has a final state, and all-completed only when each Completed', () => {
    const awaited = new AwaitedJobs([
      { id: 7, rootId: 7 },
      { id: 9, rootId: 9 },
    ]);
    expect(awaited.see(state(8, 'Completed', 7))).toBe(false);
    expect(awaited.see(state(7, 'Running'))).toBe(false);
    expect(awaited.see(state(7, 'Completed'))).toBe(false);
    expect(awaited.pending).toEqual([9]);
    expect(awaited.see(state(9, 'Failed'))).toBe(true);
    expect(awaited.allCompleted).toBe(false);
    const ok = new AwaitedJobs([{ id: 7, rootId: 7 }]);
    ok.see(state(7, 'Completed'));
    expect(ok.allCompleted).toBe(true);
  });

  it('counts a child as ended when its tree is removed (the event names the top-level job only)', () => {
    // Child 8 of job 7, and job 10 with no parent.
    const awaited = new AwaitedJobs([
      { id: 8, rootId: 7 },
      { id: 10, rootId: 10 },
    ]);
    expect(awaited.see(removed(9))).toBe(false);
    expect(awaited.see(removed(7))).toBe(false);
    expect(awaited.pending).toEqual([10]);
    expect(awaited.see(removed(10))).toBe(true);
    expect(awaited.allCompleted).toBe(false);
  });

  it('takes an end read from a record, or a record gone, and ignores a state that is not final', () => {
    const awaited = new AwaitedJobs([
      { id: 8, rootId: 7 },
      { id: 10, rootId: 10 },
    ]);
    awaited.endedAs(10, 'Running');
    awaited.endedAs(11, 'Completed');
    expect(awaited.pending).toEqual([8, 10]);
    awaited.endedAs(10, 'Stopped');
    awaited.endedAs(8, null);
    expect(awaited.done).toBe(true);
    expect(awaited.allCompleted).toBe(false);
  });
});
