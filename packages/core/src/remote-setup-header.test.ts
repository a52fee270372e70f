import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { encodeSetupHeader } from './remote-setup-header.js';

describe('encodeSetupHeader', () => {
  it('gives each variable its name, its count of lines and its value, then end', () => {
    expect(encodeSetupHeader({})).toBe('end\n');
    expect(encodeSetupHeader({ A: 'x y', B: 'one\ntwo\n', C: '' })).toBe('env A 1\nx y\nenv B 3\none\ntwo\n\nenv C 1\n\nend\n');
  });

  it("announces a script's length in bytes before end", () => {
    expect(encodeSetupHeader({ A: 'x' }, 5)).toBe('env A 1\nx\ninput 5\nend\n');
  });

  it("announces the standard input's length (--stdin) after the script's, empty input included", () => {
    expect(encodeSetupHeader({}, 5, 1048576)).toBe('input 5\nstdin 1048576\nend\n');
    expect(encodeSetupHeader({}, null, 0)).toBe('stdin 0\nend\n');
  });

  it('refuses a name that would break the framing', () => {
    expect(() => encodeSetupHeader({ 'A B': 'x' })).toThrow(UsageError);
    expect(() => encodeSetupHeader({ 'A\nend': 'x' })).toThrow(UsageError);
  });
});
