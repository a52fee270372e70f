import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLineFromArgv, commandLineFromWords, quoteShellWord } from './shell-quote.js';

describe('quoteShellWord', () => {
  const hostile = ["it's", '$(id)', '`id`', 'a;b', '*', 'two\nlines', '-n', '', 'ünï cødé', '\\', '"', '!x', '~', "''"];

  it('leaves plain words alone', () => {
    expect(quoteShellWord('web-1.example.com/path_x')).toBe('web-1.example.com/path_x');
  });

  it('round-trips every word byte for byte through sh', () => {
    const line = `printf '%s\\0' ${hostile.map(quoteShellWord).join(' ')}`;
    const out = execFileSync('/bin/sh', ['-c', line]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(hostile);
  });
});

describe('commandLineFromWords', () => {
  it('joins the words with single spaces, as ssh does, for the remote shell to parse', () => {
    expect(commandLineFromWords(['uptime; df -h'])).toBe('uptime; df -h');
    expect(commandLineFromWords(['ls', '/etc/host*.conf', 'a b'])).toBe('ls /etc/host*.conf a b');
  });
});

describe('commandLineFromArgv', () => {
  it('quotes every word, a single one too', () => {
    expect(commandLineFromArgv(['echo', 'a b', "c'd"])).toBe(`echo 'a b' 'c'\\''d'`);
    expect(commandLineFromArgv(['uptime; df -h'])).toBe(`'uptime; df -h'`);
  });
});
