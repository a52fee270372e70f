import { describe, expect, it } from 'vitest';
import { judgeOutcome, type RunResult } from './run-result.js';

const base: RunResult = { exitCode: 0, signal: null, durationMs: 10, bytesDropped: 0, interruption: null, failure: null };

describe('judgeOutcome', () => {
  it('completes on exit 0', () => {
    expect(judgeOutcome(base, null)).toEqual({ state: 'Completed', exitCode: 0, reason: null });
  });

  it('fails with the exit code in words', () => {
    expect(judgeOutcome({ ...base, exitCode: 3 }, null)).toEqual({ state: 'Failed', exitCode: 3, reason: 'exit code 3' });
  });

  it('names the signal that killed a command', () => {
    expect(judgeOutcome({ ...base, exitCode: null, signal: 'SIGKILL' }, null).reason).toBe('killed by signal SIGKILL');
  });

  it('says a stop is a stop and a timeout a timeout', () => {
    expect(judgeOutcome({ ...base, exitCode: null, signal: 'SIGTERM', interruption: 'stop' }, null).state).toBe('Stopped');
    expect(judgeOutcome({ ...base, exitCode: null, signal: 'SIGTERM', interruption: 'timeout' }, 5000)).toMatchObject({
      state: 'Failed',
      reason: 'timed out after 5s',
    });
  });

  it('passes on why a command could not start', () => {
    expect(judgeOutcome({ ...base, exitCode: null, failure: 'connection refused' }, null).reason).toBe('connection refused');
  });
});
