import { describe, expect, it } from 'vitest';
import { AwaitedJobs } from './awaited-jobs.js';

const state = (jobId: number, value: 'Running' | 'Completed' | 'Failed', rootId = jobId) => ({
  event: 'state' as const,
  jobId,
  rootId,
  state: value,
});

describe('AwaitedJobs', () => {
  it('is done once every job named has a final state, and all-completed only when each Completed', () => {
    const awaited = new AwaitedJobs([7, 9]);
    expect(awaited.see(state(8, 'Completed', 7))).toBe(false);
    expect(awaited.see(state(7, 'Running'))).toBe(false);
    expect(awaited.see(state(7, 'Completed'))).toBe(false);
    expect(awaited.see(state(9, 'Failed'))).toBe(true);
    expect(awaited.allCompleted).toBe(false);
    const ok = new AwaitedJobs([7]);
    ok.see(state(7, 'Completed'));
    expect(ok.allCompleted).toBe(true);
  });

  it('counts a removed tree as ended, a child named in it too, and a state read from a record', () => {
    const awaited = new AwaitedJobs([8, 10]);
    expect(awaited.see({ event: 'removed', jobId: 7, rootId: 7, state: null })).toBe(false);
    awaited.endedAs(10, 'Running');
    expect(awaited.done).toBe(false);
    awaited.endedAs(10, 'Stopped');
    expect(awaited.done).toBe(false);
    expect(awaited.see({ event: 'removed', jobId: 8, rootId: 8, state: null })).toBe(true);
    expect(awaited.allCompleted).toBe(false);
  });
});
