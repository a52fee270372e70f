import { describe, expect, it } from 'vitest';
import { CappedOutput } from './capped-output.js';
import type { JobOutput } from './job-ledger.js';

/**
 * A job's output as Redis would hold it: what was written, how much of it
 * is unreceived, and a reader that takes everything (or dies) when the
 * agent looks again for the `readsAt`-th time.
 */
function fakeOutput(options: { followed?: boolean; readsAt?: number[]; diesAt?: number } = {}) {
  const written: { stream: string; text: string }[] = [];
  let unread = 0;
  let recounts = 0;
  let followed = options.followed ?? false;
  const keep = (stream: string, text: string): undefined => {
    written.push({ stream, text });
    unread += Buffer.byteLength(text);
  };
  const output: JobOutput = {
    writeBytes: (stream, chunk) => keep(stream, chunk.toString()),
    write: (stream, data) => keep(stream, stream === 'output' ? JSON.stringify(data) : String(data)),
    flush: () => Promise.resolve(),
    recount: () => {
      recounts += 1;
      if (options.readsAt?.includes(recounts)) unread = 0;
      if (recounts === options.diesAt) followed = false;
      return Promise.resolve({ unreadBytes: unread, followed });
    },
    get unreceivedBytes() {
      return unread;
    },
    bytesDroppedOutOfMemory: 0,
  };
  return {
    output,
    written,
    text: (stream = 'stdout') =>
      written
        .filter((w) => w.stream === stream)
        .map((w) => w.text)
        .join(''),
  };
}

const capped = (output: JobOutput, capBytes: number, signal = new AbortController().signal) =>
  new CappedOutput(output, { capBytes, signal, pollMs: 1, pollMaxMs: 1 });

describe('CappedOutput', () => {
  it('passes output below the cap straight on, without making the command wait', async () => {
    const fake = fakeOutput();
    const output = capped(fake.output, 100);
    expect(output.onOutput('stdout', Buffer.from('a\0b\xff'))).toBeUndefined();
    expect(output.onOutput('stderr', Buffer.from('no newline'))).toBeUndefined();
    expect((await output.end()).bytesDropped).toBe(0);
    expect(fake.written).toEqual([
      { stream: 'stdout', text: 'a\0b\xff' },
      { stream: 'stderr', text: 'no newline' },
    ]);
  });

  it('keeps the start of the output up to the cap when nobody follows, then drops everything and says so', async () => {
    const fake = fakeOutput();
    const output = capped(fake.output, 8);
    await output.onOutput('stdout', Buffer.from('12345'));
    await output.onOutput('stdout', Buffer.from('6789'));
    await output.onOutput('stderr', Buffer.from('late'));
    expect((await output.end()).bytesDropped).toBe(5);
    expect(fake.text()).toBe('12345678');
    expect(fake.text('stderr')).toBe('');
    expect(fake.text('error')).toBe('output exceeded 8 bytes: dropped the remaining 5 bytes (set FLEET_MAX_OUTPUT to keep more)');
  });

  it('keeps more when a reader took some before the cap was reached, since the cap is on what is unreceived', async () => {
    const fake = fakeOutput({ readsAt: [1] });
    const output = capped(fake.output, 8);
    await output.onOutput('stdout', Buffer.from('12345678'));
    await output.onOutput('stdout', Buffer.from('abcd'));
    expect((await output.end()).bytesDropped).toBe(0);
    expect(fake.text()).toBe('12345678abcd');
  });

  it('makes the command wait for a reader that follows, and loses nothing, in order across streams', async () => {
    const fake = fakeOutput({ followed: true, readsAt: [3, 6, 9] });
    const output = capped(fake.output, 4);
    const waits = [
      output.onOutput('stdout', Buffer.from('abcdef')),
      output.onOutput('stderr', Buffer.from('E')),
      output.onOutput('stdout', Buffer.from('ghij')),
    ];
    expect(waits.every((wait) => wait instanceof Promise)).toBe(true);
    for (const wait of waits) await wait;
    expect((await output.end()).bytesDropped).toBe(0);
    expect(fake.written.map((w) => w.text).join('')).toBe('abcdefEghij');
    expect(fake.text()).toBe('abcdefghij');
  });

  it('drops instead of waiting once the reader stops following (it died)', async () => {
    const fake = fakeOutput({ followed: true, diesAt: 4 });
    const output = capped(fake.output, 4);
    await output.onOutput('stdout', Buffer.from('abcdefgh'));
    expect((await output.end()).bytesDropped).toBe(4);
    expect(fake.text()).toBe('abcd');
  });

  it('stops waiting when the run is interrupted', async () => {
    const fake = fakeOutput({ followed: true });
    const interrupt = new AbortController();
    const output = new CappedOutput(fake.output, { capBytes: 4, signal: interrupt.signal, pollMs: 60_000, pollMaxMs: 60_000 });
    const wait = output.onOutput('stdout', Buffer.from('abcdefgh'));
    interrupt.abort('stop');
    await wait;
    expect((await output.end()).bytesDropped).toBe(4);
  });

  it('keeps a thread job’s value whole or drops it whole', async () => {
    const fake = fakeOutput();
    const output = capped(fake.output, 10);
    await output.onValue({ a: 1 }); // 7 bytes of JSON
    await output.onValue([1, 2]); // 5: no room left for it
    await output.onValue(1); // dropped too: nothing is kept after a drop
    expect((await output.end()).bytesDropped).toBe(6);
    expect(fake.written.slice(0, 1)).toEqual([{ stream: 'output', text: '{"a":1}' }]);
  });

  it('fails its end when output waiting for room was lost, rather than end as if it were kept', async () => {
    const fake = fakeOutput({ followed: true });
    fake.output.recount = () => Promise.reject(new Error('Redis went away'));
    const output = capped(fake.output, 4);
    await output.onOutput('stdout', Buffer.from('abcdefgh'));
    await expect(output.end()).rejects.toThrow('Redis went away');
  });
});
