import { describe, expect, it } from 'vitest';
import type { PullCommandSpec, PulledEntry } from '@fleet/core';
import { PullCapError, PullRecorder, type PullSink } from './pull-recorder.js';

// The recorder fed a hostile host's tar stream as it would come off the wire.

function memorySink() {
  const entries: PulledEntry[] = [];
  const sink: PullSink = {
    putChunk: () => Promise.resolve(),
    putEntry: (index, entry) => Promise.resolve(void (entries[index] = entry)),
    seal: () => Promise.resolve(),
    drop: () => Promise.resolve(),
  };
  return { sink, entries };
}

/** One ustar member, as a hostile host would write it; a long name goes before it as a GNU `L` member. */
function tarMember(name: string, type: 'file' | 'hardlink', content: string, linkName = ''): Buffer {
  const long = Buffer.byteLength(name) > 99 ? header('././@LongLink', 'L', Buffer.byteLength(name) + 1) : null;
  const body = Buffer.from(content);
  const own = header(long === null ? name : 'long', type === 'file' ? '0' : '1', body.length, linkName);
  return Buffer.concat([...(long === null ? [] : [long, padded(Buffer.from(`${name}\0`))]), own, padded(body)]);
}

function header(name: string, flag: string, size: number, linkName = ''): Buffer {
  const bytes = Buffer.alloc(512);
  bytes.write(name, 0, 100, 'utf8');
  bytes.write('0000644\0', 100, 'latin1');
  bytes.write('0000000\0', 108, 'latin1');
  bytes.write('0000000\0', 116, 'latin1');
  bytes.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  bytes.write('14000000000\0', 136, 'latin1');
  bytes.write('        ', 148, 'latin1');
  bytes.write(flag, 156, 'latin1');
  bytes.write(linkName, 157, 100, 'utf8');
  bytes.write('ustar  \0', 257, 'latin1');
  let sum = 0;
  for (const byte of bytes) sum += byte;
  bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return bytes;
}

const padded = (body: Buffer) => Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);

function recorder(maxBytes: number) {
  const kept = memorySink();
  const said: string[] = [];
  const command: PullCommandSpec = { kind: 'pull', paths: ['/x'], recursive: true, preserve: false, maxBytes };
  const taken = new PullRecorder(command, kept.sink, (line) => void said.push(line.toString()));
  return { taken, said, ...kept };
}

describe('PullRecorder against a hostile host', () => {
  it('counts each hard link as its target’s size again: one file and many links go over the cap', async () => {
    const file = 'x'.repeat(10_000);
    const links = Array.from({ length: 20 }, (_, index) => tarMember(`./link${index}`, 'hardlink', '', './big'));
    const stream = Buffer.concat([tarMember('./big', 'file', file), ...links, Buffer.alloc(1024)]);
    // The stream itself is under the cap; what the links would write out is not.
    expect(stream.length).toBeLessThan(50_000);
    const { taken, entries } = recorder(50_000);
    await expect(taken.push(stream)).rejects.toThrow(PullCapError);
    await expect(taken.push(Buffer.alloc(0))).rejects.toThrow(/more than FLEET_MAX_PULL_BYTES/);
    expect(entries.length).toBeLessThan(5);
  });

  it('the same links under a cap that holds them all are recorded as files', async () => {
    const links = Array.from({ length: 3 }, (_, index) => tarMember(`./link${index}`, 'hardlink', '', './big'));
    const { taken, entries } = recorder(1_000_000);
    await taken.push(Buffer.concat([tarMember('./big', 'file', 'x'.repeat(10_000)), ...links, Buffer.alloc(1024)]));
    await taken.finish();
    expect(entries.map((entry) => [entry.path, entry.type])).toEqual([
      ['big', 'file'],
      ['link0', 'file'],
      ['link1', 'file'],
      ['link2', 'file'],
    ]);
  });

  it('refuses a name over PATH_MAX or a component over NAME_MAX, says each, and keeps the first and a count', async () => {
    const { taken, said, entries } = recorder(10_000_000);
    const members = [
      tarMember(`./${'a/'.repeat(2100)}f`, 'file', 'deep'),
      tarMember(`./${'n'.repeat(256)}`, 'file', 'wide'),
      ...Array.from({ length: 30 }, (_, index) => tarMember(`./bad\u001b${index}`, 'file', 'esc')),
      tarMember('./good', 'file', 'good'),
    ];
    await taken.push(Buffer.concat([...members, Buffer.alloc(1024)]));
    await taken.finish();
    expect(entries.map((entry) => entry.path)).toEqual(['good']);
    expect(said).toHaveLength(32);
    expect(said[0]).toContain('its name is longer than 4096 bytes');
    expect(said[1]).toContain('its name has a component longer than 255 bytes');
    expect(taken.refusedReason()).toMatch(/^refused "(a\/){127}"\.\.\.: its name is longer than 4096 bytes \(and 31 more, on stderr\)$/);
  });
});
