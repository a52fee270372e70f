import { describe, expect, it } from 'vitest';
import { judgeOutcome, type RunResult } from './run-result.js';

const base: RunResult = { exitCode: 0, signal: null, durationMs: 10, bytesDropped: 0, interruption: null, failure: null };
const MiB = 1024 * 1024;
const spec = { timeoutMs: null, maxOutputBytes: 16 * MiB };

describe('judgeOutcome', () => {
  it('completes on exit 0', () => {
    expect(judgeOutcome(base, spec)).toEqual({ state: 'Completed', exitCode: 0, reason: null });
  });

  it('fails with the exit code in words', () => {
    expect(judgeOutcome({ ...base, exitCode: 3 }, spec)).toEqual({ state: 'Failed', exitCode: 3, reason: 'exit code 3' });
  });

  it('adds to a stop or a timeout what else is known, e.g. that the host never confirmed the end', () => {
    const unconfirmed = { ...base, exitCode: null, failure: 'the host did not confirm the command ended' };
    expect(judgeOutcome({ ...unconfirmed, interruption: 'stop' }, spec)).toMatchObject({
      state: 'Stopped',
      reason: 'stopped; the host did not confirm the command ended',
    });
    expect(judgeOutcome({ ...unconfirmed, interruption: 'timeout' }, { ...spec, timeoutMs: 3000 })).toMatchObject({
      state: 'Failed',
      reason: 'timed out after 3s; the host did not confirm the command ended',
    });
  });

  it('names the signal that killed a command', () => {
    expect(judgeOutcome({ ...base, exitCode: null, signal: 'SIGKILL' }, spec).reason).toBe('killed by signal SIGKILL');
  });

  it('says a stop is a stop and a timeout a timeout', () => {
    expect(judgeOutcome({ ...base, exitCode: null, signal: 'SIGTERM', interruption: 'stop' }, spec).state).toBe('Stopped');
    expect(
      judgeOutcome({ ...base, exitCode: null, signal: 'SIGTERM', interruption: 'timeout' }, { ...spec, timeoutMs: 5000 }),
    ).toMatchObject({
      state: 'Failed',
      reason: 'timed out after 5s',
    });
  });

  it('passes on why a command could not start', () => {
    expect(judgeOutcome({ ...base, exitCode: null, failure: 'connection refused' }, spec).reason).toBe('connection refused');
  });

  it('fails a command that exited 0 but lost output past the cap, and says so', () => {
    expect(judgeOutcome({ ...base, bytesDropped: 6_081_741 }, spec)).toEqual({
      state: 'Failed',
      exitCode: 0,
      reason: 'exit code 0, but 5.8 MiB of output past FLEET_MAX_OUTPUT (16 MiB) was dropped',
    });
  });

  it('adds what was dropped to any other reason, keeping the state', () => {
    const dropped = { ...base, bytesDropped: 2 * MiB };
    expect(judgeOutcome({ ...dropped, exitCode: 3 }, spec)).toEqual({
      state: 'Failed',
      exitCode: 3,
      reason: 'exit code 3, and 2 MiB of output past FLEET_MAX_OUTPUT (16 MiB) was dropped',
    });
    expect(
      judgeOutcome({ ...dropped, exitCode: null, interruption: 'timeout' }, { timeoutMs: 4000, maxOutputBytes: 256 * 1024 }).reason,
    ).toBe('timed out after 4s, and 2 MiB of output past FLEET_MAX_OUTPUT (256 KiB) was dropped');
    expect(judgeOutcome({ ...dropped, exitCode: null, interruption: 'stop' }, spec)).toMatchObject({
      state: 'Stopped',
      reason: 'stopped, and 2 MiB of output past FLEET_MAX_OUTPUT (16 MiB) was dropped',
    });
  });

  it('fails a command that exited 0 but whose output Redis had no room for, and says how much', () => {
    expect(judgeOutcome({ ...base, bytesDroppedOutOfMemory: 3 * MiB }, spec)).toEqual({
      state: 'Failed',
      exitCode: 0,
      reason: 'exit code 0, but output dropped: Redis out of memory (3 MiB not stored)',
    });
    expect(judgeOutcome({ ...base, exitCode: 2, bytesDropped: MiB, bytesDroppedOutOfMemory: 1024 }, spec).reason).toBe(
      'exit code 2, and 1 MiB of output past FLEET_MAX_OUTPUT (16 MiB) was dropped, and output dropped: Redis out of memory (1 KiB not stored)',
    );
  });
});
