import { describe, expect, it } from 'vitest';
import { StdinTooLargeError, UsageError } from './errors.js';
import { checkStdinUse, readStdinWithin } from './stdin-option.js';

async function* pieces(...parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield await Promise.resolve(part);
}

describe('checkStdinUse', () => {
  it('lets --stdin go with a hosts file, a script file, and a command', () => {
    expect(() => checkStdinUse({ hostsFile: 'hosts.txt', script: './s.sh' })).not.toThrow();
    expect(() => checkStdinUse({})).not.toThrow();
  });

  it('refuses whatever else would read standard input, and a thread job', () => {
    expect(() => checkStdinUse({ hostsFile: '-' })).toThrow(/-f - and --stdin both read standard input/);
    for (const script of ['-', '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']) {
      expect(() => checkStdinUse({ script })).toThrow(new RegExp(`--script ${script} and --stdin`));
    }
    expect(() => checkStdinUse({ thread: true })).toThrow(UsageError);
  });
});

describe('readStdinWithin', () => {
  it('gives back every byte, text or binary, and nothing for empty input', async () => {
    const binary = Uint8Array.from([0, 255, 10, 13, 0]);
    expect(Buffer.concat(await readStdinWithin(pieces('a\n', binary, ''), 100))).toEqual(Buffer.from([97, 10, 0, 255, 10, 13, 0]));
    expect(await readStdinWithin(pieces(), 0)).toEqual([]);
  });

  it('takes exactly the cap, and refuses one byte more, naming the setting', async () => {
    expect(Buffer.concat(await readStdinWithin(pieces('abc', 'd'), 4)).toString()).toBe('abcd');
    const refused = readStdinWithin(pieces('abc', 'de'), 4);
    await expect(refused).rejects.toBeInstanceOf(StdinTooLargeError);
    await expect(refused).rejects.toThrow('standard input is larger than FLEET_MAX_STDIN (4 bytes); nothing was run');
  });
});
