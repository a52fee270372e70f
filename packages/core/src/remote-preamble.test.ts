import { describe, expect, it } from 'vitest';
import { REMOTE_MARKER, type RemoteMarker } from './remote-command.js';
import { describePreambleOverflow, RemotePreambleFilter } from './remote-preamble.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

function filter() {
  const markers: RemoteMarker[] = [];
  return { markers, preamble: new RemotePreambleFilter((marker) => markers.push(marker)) };
}

describe('RemotePreambleFilter', () => {
  it("takes the wrapper's markers off, and passes the command's stderr untouched, markers or not", () => {
    const { markers, preamble } = filter();
    const out = preamble.push(bytes(`${REMOTE_MARKER}pid:4242\n${REMOTE_MARKER}start\noops\n${REMOTE_MARKER}start\n\xff`));
    expect(markers).toEqual([{ kind: 'pid', pid: 4242 }, { kind: 'start' }]);
    expect(out).toEqual(bytes(`oops\n${REMOTE_MARKER}start\n\xff`));
    expect(preamble.push(bytes('more'))).toEqual(bytes('more'));
  });

  it("drops the login shell's lines before the wrapper's pid (the command's shell says them again), and reports the wrapper's error", () => {
    const { markers, preamble } = filter();
    const out = preamble.push(
      bytes(`stty: not a tty\n${REMOTE_MARKER}pid:7\nmktemp: failed\n${REMOTE_MARKER}error:working directory /x does not exist\n`),
    );
    expect(out).toEqual(bytes('mktemp: failed\n'));
    expect(preamble.end()).toEqual(Buffer.alloc(0));
    expect(markers).toEqual([
      { kind: 'pid', pid: 7 },
      { kind: 'error', message: 'working directory /x does not exist' },
    ]);
  });

  it("gives back the login shell's lines when the wrapper never ran: they say why", () => {
    const { markers, preamble } = filter();
    expect(preamble.push(bytes('This account is currently not available.\n'))).toEqual(Buffer.alloc(0));
    expect(preamble.end()).toEqual(bytes('This account is currently not available.\n'));
    expect(markers).toEqual([]);
  });

  it("passes the login shell's lines on once they pass 64 KiB, so that memory stays bounded", () => {
    const { preamble } = filter();
    const line = `${'x'.repeat(1023)}\n`;
    const out = Buffer.concat(Array.from({ length: 80 }, () => preamble.push(bytes(line))));
    expect(out.length).toBeGreaterThan(0);
    expect(Buffer.concat([out, preamble.end()])).toEqual(bytes(line.repeat(80)));
  });

  it('finds a marker cut across chunks, and gives back a last line that never ended', () => {
    const { markers, preamble } = filter();
    const line = `${REMOTE_MARKER}pid:99\n`;
    expect(preamble.push(bytes(line.slice(0, 5)))).toEqual(Buffer.alloc(0));
    expect(preamble.push(bytes(line.slice(5)))).toEqual(Buffer.alloc(0));
    expect(markers).toEqual([{ kind: 'pid', pid: 99 }]);
    expect(preamble.push(bytes('half a li'))).toEqual(Buffer.alloc(0));
    expect(preamble.end()).toEqual(bytes('half a li'));
  });
  it('holds a flood of stderr with no newline to a bounded size, then stops and says how much came (issue 16)', () => {
    const { markers, preamble } = filter();
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    let most = 0;
    for (let sent = 0; sent < 200; sent += 1) {
      expect(preamble.push(chunk)).toEqual(Buffer.alloc(0));
      most = Math.max(most, preamble.heldNow);
    }
    // Stopped at the second chunk, the first past 64 KiB; nothing held since.
    expect(preamble.overflowBytes).toBe(2 * 64 * 1024);
    expect(most).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(preamble.heldNow).toBe(0);
    expect(preamble.end()).toEqual(Buffer.alloc(0));
    expect(markers).toEqual([]);
    expect(describePreambleOverflow(preamble.overflowBytes ?? 0)).toBe(
      "the host sent 128 KiB of stderr with no newline for more than 64 KiB before fleet's start marker; refused as hostile or broken",
    );
  });

  it('holds a line that comes a byte at a time only until the cap, and a line just within the cap whole', () => {
    const { preamble } = filter();
    let most = 0;
    for (let sent = 0; sent < 100_000 && preamble.overflowBytes === null; sent += 1) {
      preamble.push(bytes('y'));
      most = Math.max(most, preamble.heldNow);
    }
    expect(preamble.overflowBytes).toBe(64 * 1024 + 1);
    expect(most).toBe(64 * 1024);

    const { markers, preamble: within } = filter();
    const long = 'z'.repeat(64 * 1024);
    for (let at = 0; at < long.length; at += 1000) within.push(bytes(long.slice(at, at + 1000)));
    // Held as the login shell's, and past 64 KiB held, passed on.
    expect(within.push(bytes(`\n${REMOTE_MARKER}pid:5\n${REMOTE_MARKER}start\nafter`))).toEqual(bytes(`${long}\nafter`));
    expect(within.overflowBytes).toBeNull();
    expect(markers).toEqual([{ kind: 'pid', pid: 5 }, { kind: 'start' }]);
  });

  it('passes the command its own stderr untouched after the start, newline or not, however much', () => {
    const { preamble } = filter();
    expect(preamble.push(bytes(`${REMOTE_MARKER}pid:5\n${REMOTE_MARKER}start\n`))).toEqual(Buffer.alloc(0));
    const flood = Buffer.alloc(1024 * 1024, 0x78);
    expect(preamble.push(flood)).toBe(flood);
    expect(preamble.overflowBytes).toBeNull();
  });
});
