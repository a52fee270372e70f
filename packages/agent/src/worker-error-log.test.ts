import { describe, expect, it } from 'vitest';
import { WorkerErrorLog } from './worker-error-log.js';

function errorLogAt() {
  const lines: string[] = [];
  const clock = { now: 0 };
  const errors = new WorkerErrorLog(
    (line) => lines.push(line),
    60_000,
    () => clock.now,
  );
  return { errors, lines, clock };
}

describe('WorkerErrorLog', () => {
  it('logs the first error, then only a reminder a minute, then one line when Redis is back', () => {
    const { errors, lines, clock } = errorLogAt();
    // BullMQ's rhythm with Redis gone: two errors every 2 s, for 130 s.
    for (clock.now = 0; clock.now <= 130_000; clock.now += 2_000) {
      errors.error('connect ECONNREFUSED 127.0.0.1:6379');
      errors.error('connect ECONNREFUSED 127.0.0.1:6379');
    }
    clock.now = 131_000;
    errors.ready();
    expect(lines).toEqual([
      'worker error: connect ECONNREFUSED 127.0.0.1:6379 (repeats are summed up every 60s until Redis answers again)',
      'worker error for 60s now (60 more): connect ECONNREFUSED 127.0.0.1:6379',
      'worker error for 120s now (60 more): connect ECONNREFUSED 127.0.0.1:6379',
      'Redis answers again after 131s of worker errors, 11 more errors since the last line',
    ]);
  });

  it('says nothing on ready without errors, and logs the next outage from its start', () => {
    const { errors, lines, clock } = errorLogAt();
    errors.ready();
    expect(lines).toEqual([]);
    errors.error('first');
    errors.ready();
    clock.now = 5_000;
    errors.error('second');
    expect(lines).toEqual([
      'worker error: first (repeats are summed up every 60s until Redis answers again)',
      'Redis answers again after 0s of worker errors',
      'worker error: second (repeats are summed up every 60s until Redis answers again)',
    ]);
  });
});
