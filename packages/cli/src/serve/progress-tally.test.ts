import { describe, expect, it } from 'vitest';
import { ProgressTally } from './progress-tally.js';

const job = (
  id: number,
  counts: Partial<{ total: number; completed: number; failed: number; stopped: number; running: number }>,
  durationSeconds?: number,
) => ({
  id,
  progress: { total: 4, completed: 0, failed: 0, stopped: 0, running: 0, ...counts },
  ended: durationSeconds !== undefined,
  durationSeconds: durationSeconds ?? null,
});

describe('the progress tally behind the /metrics counters', () => {
  it('adds what moved since the last scrape, and each finished job once', () => {
    const tally = new ProgressTally();
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
    const tally = new ProgressTally();
    tally.update([job(1, { completed: 4 }, 1)]);
    expect(tally.update([]).delta).toEqual({ started: 0, finished: 0, failed: 0 });
    expect(tally.update([job(1, { running: 1 })]).delta).toEqual({ started: 1, finished: 0, failed: 0 });
  });
});
