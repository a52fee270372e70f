import { describe, expect, it } from 'vitest';
import { parseSshConfigFile, splitSshWords } from './ssh-config-file.js';

describe('ssh_config files', () => {
  it('splits words as argv_split does', () => {
    expect(splitSshWords(`a "b c" 'd e' f\\ g # comment`)).toEqual(['a', 'b c', 'd e', 'f g']);
    expect(splitSshWords('"open')).toBeNull();
  });

  it('keeps file and line for each directive, and the fault of a line without failing the file', () => {
    const directives = parseSshConfigFile('# comment\n\nHost=web1\n  Port 0\n  PROXYCOMMAND ssh -W %h:%p b # all of it\nBogus x\n', 'cfg');
    expect(directives.map((d) => [d.line, d.keyword, d.kind])).toEqual([
      [3, 'host', 'structure'],
      [4, 'port', 'fleet'],
      [5, 'proxycommand', 'fleet'],
      [6, 'bogus', undefined],
    ]);
    expect(directives[1]?.error).toBe("bad port '0'");
    expect(directives[2]?.value).toEqual({ kind: 'string', value: 'ssh -W %h:%p b # all of it' });
  });
});
