import { InterruptedError, OutputClosedError, RedisOutOfMemoryError, UsageError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { describeError, exitCodeFor, signalExit } from './exit-codes.js';

describe('exit codes', () => {
  it('gives 128 + the signal, as a shell reports a process that a signal ended', () => {
    expect([signalExit('SIGHUP'), signalExit('SIGINT'), signalExit('SIGPIPE'), signalExit('SIGTERM')]).toEqual([129, 130, 141, 143]);
    expect(exitCodeFor(new InterruptedError('SIGHUP'))).toBe(129);
    expect(exitCodeFor(new InterruptedError('SIGINT'))).toBe(130);
    expect(exitCodeFor(new InterruptedError('SIGTERM'))).toBe(143);
  });

  it('ends on a closed stdout as SIGPIPE would, without a word', () => {
    const closed = new OutputClosedError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exitCodeFor(closed)).toBe(141);
    expect(describeError(closed)).toBeNull();
    expect(describeError(new InterruptedError('SIGINT'))).toBeNull();
  });

  it('prints the message and the hint of a usage error, which is 2', () => {
    const error = new UsageError('unknown option --throtle; did you mean --throttle?', { hint: 'fleet invoke --help shows the usage' });
    expect(exitCodeFor(error)).toBe(2);
    expect(describeError(error)).toBe('fleet: unknown option --throtle; did you mean --throttle?\n  (fleet invoke --help shows the usage)');
  });

  it('says Redis is full in words, how full, and what frees it: an infrastructure failure, 3', () => {
    const raw = new Error("OOM command not allowed when used memory > 'maxmemory'. script: 0145ab, on @user_script:256.");
    const error = new RedisOutOfMemoryError('maxmemory 30 MiB, used 30.2 MiB', raw);
    expect(exitCodeFor(error)).toBe(3);
    expect(describeError(error)).toBe(
      'fleet: Redis is out of memory (maxmemory 30 MiB, used 30.2 MiB): nothing new can be stored\n' +
        '  (free memory with fleet receive or fleet remove of finished jobs, or raise maxmemory)',
    );
  });
});
