import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startChannelHeartbeat } from './channel-heartbeat.js';

describe('the channel heartbeat', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes the byte every interval while the channel is open', () => {
    const channel = new PassThrough();
    const written: string[] = [];
    channel.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    const stop = startChannelHeartbeat(channel, '.', 100);
    vi.advanceTimersByTime(350);
    stop();
    expect(written.join('')).toBe('...');
  });

  it('never writes after the channel was ended, even before it closes (output held back by back-pressure)', async () => {
    // Not read from: 'close' does not come, as with ssh2's channel whose output is paused.
    const channel = new PassThrough();
    const errors: Error[] = [];
    const write = vi.spyOn(channel, 'write');
    startChannelHeartbeat(channel, '.', 100);
    channel.end();
    channel.on('error', (error) => errors.push(error));
    vi.advanceTimersByTime(1_000);
    await vi.runAllTimersAsync();
    expect(write).not.toHaveBeenCalled();
    expect(errors).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops when the channel says the command exited', () => {
    const channel = new PassThrough();
    const write = vi.spyOn(channel, 'write');
    startChannelHeartbeat(channel, '.', 100);
    channel.emit('exit', 0);
    vi.advanceTimersByTime(1_000);
    expect(write).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});
