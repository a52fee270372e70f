import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PushReport, sha256Hex, type PushCommandSpec } from '@fleet/core';
import { feedPush, pushOutcome, ReceiverClosedError } from './push-feed.js';

// The feed alone, writing into a pipe that is read at once; the receiver's
// answer is what a PushReport settles, given here as the host would give it.
const bytes = Buffer.from('content');
const sha256 = sha256Hex(bytes);
const command: PushCommandSpec = {
  kind: 'push',
  entries: [
    { type: 'file', path: 'f', mode: 0o644, mtime: 0, manifest: { size: 35, sha256, chunks: [sha256, sha256, sha256, sha256, sha256] } },
  ],
  dest: '/srv/',
  recursive: false,
  preserve: false,
};

/** `count` chunks of content, each read only when asked for, counted by `onRead`. */
function chunksOf(count: number, onRead: () => void): AsyncIterable<Buffer> {
  let left = count;
  return {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<Buffer>> => {
        if (left === 0) return Promise.resolve({ done: true, value: undefined });
        left -= 1;
        onRead();
        return Promise.resolve({ done: false, value: bytes });
      },
    }),
  };
}

function pipe() {
  const input = new PassThrough();
  let written = '';
  input.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { input, written: () => written };
}

describe('feedPush', () => {
  it('throws, having written only the probe, when the receiver never answered it (null)', async () => {
    const { input, written } = pipe();
    let reads = 0;
    const fed = feedPush(input, command, () => chunksOf(5, () => (reads += 1)), new AbortController().signal, Promise.resolve(null));
    await expect(fed).rejects.toThrow(new ReceiverClosedError('the receiver ended before it said which files it has'));
    expect(written()).toMatch(/^dest [^]*probe 1\ncheck 0 35 /);
    expect(written()).not.toContain('file 0');
    expect(reads).toBe(0);
  });

  it('reads no more chunks once stopped', async () => {
    const { input } = pipe();
    const stop = new AbortController();
    let reads = 0;
    const content = () => chunksOf(5, () => (reads += 1));
    await feedPush(input, command, content, stop.signal, Promise.resolve(new Set<number>()), () => stop.abort());
    // The chunk asked for after the stop is the last: not the three after it.
    expect(reads).toBe(2);
  });
});

describe('pushOutcome', () => {
  it('fails an exit 0 whose receiver never said `probed`, or reported fewer entries than it was sent', () => {
    const silent = new PushReport(command);
    silent.end();
    expect(pushOutcome({ exitCode: 0 }, silent, null).failure).toBe('the receiver ended before it said which files it has');
    const cut = new PushReport(command);
    cut.push(Buffer.from('placed into\nprobed\n'));
    expect(pushOutcome({ exitCode: 0 }, cut, null).failure).toBe('the receiver ended before it reported every file and link');
    const whole = new PushReport(command);
    whole.push(Buffer.from('placed into\nprobed\nchanged 0\n'));
    expect(pushOutcome({ exitCode: 0 }, whole, null).failure).toBeUndefined();
  });
});
