import { describe, expect, it } from 'vitest';
import { jobEventText } from './event-text.js';

const at = '2026-12-02T07:00:01.250Z';

describe('jobEventText', () => {
  it('names the job, its tree, its state and reason', () => {
    expect(jobEventText({ event: 'state', jobId: 8, rootId: 7, state: 'Failed', exitCode: 3, reason: 'exit code 3', at })).toBe(
      `${at} job 8 of 7 Failed: exit code 3`,
    );
    expect(jobEventText({ event: 'created', jobId: 7, rootId: 7, state: 'Running', exitCode: null, reason: null, at })).toBe(
      `${at} job 7 created, Running`,
    );
    expect(jobEventText({ event: 'removed', jobId: 7, rootId: 7, state: null, exitCode: null, reason: null, at })).toBe(
      `${at} job 7 removed`,
    );
  });
});
