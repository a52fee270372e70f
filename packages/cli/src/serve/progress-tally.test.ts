import { describe, expect, it } from 'vitest';
import { ProgressTally } from './progress-tally.js';

const job = (
  id: number,
  counts: Partial<{ total: number; completed: number; failed: number; stopped: number; running: number; began: number }>,
  durationSeconds?: number,
) => {
  const { began, ...progress } = counts;
  const all = { total: 4, completed: 0, failed: 0, stopped: 0, running: 0, ...progress };
  return {
    id,
    progress: all,
    began: began ?? all.completed + all.failed + all.stopped + all.running,
    ended: durationSeconds !== undefined,
    durationSeconds: durationSeconds ?? null,
  };
};

/** A tally past its baseline (the first scrape, of nothing here). */
const started = () => {
  const tally = new ProgressTally();
  tally.update([]);
  return tally;
};

describe('the progress tally behind the /metrics counters', () => {
  it('adds what moved since the last scrape, and each finished job once', () => {
    const tally = started();
    expect(tally.update([job(1, { running: 2 })])).toEqual({ delta: { started: 2, finished: 0, failed: 0 }, durations: [] });
    expect(tally.update([job(1, { completed: 3, failed: 1 }, 2.5)])).toEqual({
      delta: { started: 2, finished: 4, failed: 1 },
      durations: [2.5],
    });
    expect(tally.update([job(1, { completed: 3, failed: 1 }, 2.5)])).toEqual({
      delta: { started: 0, finished: 0, failed: 0 },
      durations: [],
    });
  });

  it('never goes down when a job is removed, and counts a new job under a reused id afresh', () => {
    const tally = started();
    tally.update([job(1, { completed: 4 }, 1)]);
    expect(tally.update([]).delta).toEqual({ started: 0, finished: 0, failed: 0 });
    expect(tally.update([job(1, { running: 1 })]).delta).toEqual({ started: 1, finished: 0, failed: 0 });
  });

  it('takes what Redis holds at the first scrape as a baseline: no increment, no run time observed', () => {
    const tally = new ProgressTally();
    const before = [job(1, { completed: 4 }, 3), job(2, { running: 2 })];
    expect(tally.update(before)).toEqual({ delta: { started: 0, finished: 0, failed: 0 }, durations: [] });
    // Job 1 is not observed again; job 2 adds only what moved after the baseline.
    expect(tally.update([job(1, { completed: 4 }, 3), job(2, { completed: 3, running: 1 })])).toEqual({
      delta: { started: 2, finished: 3, failed: 0 },
      durations: [],
    });
    expect(tally.update([job(1, { completed: 4 }, 3), job(2, { completed: 4 }, 9)]).durations).toEqual([9]);
  });

  it('does not count as started the children stopped before they ran', () => {
    const tally = started();
    expect(tally.update([job(1, { running: 1, stopped: 3, began: 1 })]).delta).toEqual({ started: 1, finished: 3, failed: 0 });
    expect(tally.update([job(1, { stopped: 4, began: 1 }, 1)]).delta).toEqual({ started: 0, finished: 1, failed: 0 });
  });
});
