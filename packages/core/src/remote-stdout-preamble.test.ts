import { describe, expect, it } from 'vitest';
import { REMOTE_STDOUT_MARKER } from './remote-command.js';
import { RemoteStdoutPreambleFilter } from './remote-stdout-preamble.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('RemoteStdoutPreambleFilter', () => {
  it("drops what the login shell printed before the wrapper's marker, and passes the command's bytes untouched", () => {
    const filter = new RemoteStdoutPreambleFilter();
    expect(filter.push(bytes(`bashrc says hi\n${REMOTE_STDOUT_MARKER}out\xff`))).toEqual(bytes('out\xff'));
    expect(filter.push(bytes(`${REMOTE_STDOUT_MARKER}more`))).toEqual(bytes(`${REMOTE_STDOUT_MARKER}more`));
    expect(filter.end()).toEqual(Buffer.alloc(0));
  });

  it('finds the marker cut across chunks', () => {
    const filter = new RemoteStdoutPreambleFilter();
    expect(filter.push(bytes(REMOTE_STDOUT_MARKER.slice(0, 4)))).toEqual(Buffer.alloc(0));
    expect(filter.push(bytes(`${REMOTE_STDOUT_MARKER.slice(4)}a`))).toEqual(bytes('a'));
  });

  it('gives back what it held when the wrapper never ran, and holds no more than 64 KiB', () => {
    const never = new RemoteStdoutPreambleFilter();
    expect(never.push(bytes('why it failed\n'))).toEqual(Buffer.alloc(0));
    expect(never.end()).toEqual(bytes('why it failed\n'));
    const flood = new RemoteStdoutPreambleFilter();
    const big = Buffer.alloc(70 * 1024, 0x61);
    expect(flood.push(big)).toEqual(big);
    expect(flood.push(bytes('x'))).toEqual(bytes('x'));
  });
});
