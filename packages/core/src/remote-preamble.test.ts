import { describe, expect, it } from 'vitest';
import { REMOTE_MARKER, type RemoteMarker } from './remote-command.js';
import { RemotePreambleFilter } from './remote-preamble.js';

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
});
