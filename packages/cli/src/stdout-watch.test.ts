import { EventEmitter } from 'node:events';
import { OutputClosedError } from '@fleet/core';
import { describe, expect, it } from 'vitest';
import { StdoutWatch } from './stdout-watch.js';

describe('StdoutWatch', () => {
  it('keeps the first error of stdout as a closed output, and takes in those of stderr', () => {
    const stdout = new EventEmitter();
    const stderr = new EventEmitter();
    const watch = new StdoutWatch(stdout, stderr);
    expect(watch.closed).toBeUndefined();
    // Unheard, an 'error' event would throw here.
    stderr.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    stdout.emit('error', Object.assign(new Error('write after end'), { code: 'ERR_STREAM_DESTROYED' }));
    expect(watch.closed).toBeInstanceOf(OutputClosedError);
    expect(watch.closed?.code).toBe('EPIPE');
  });
});
