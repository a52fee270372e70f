import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { escapeJsonControls, escapeTerminalBytes, escapeTerminalField, escapeTerminalText } from './terminal-escape.js';

/** What `cat -v` itself prints for these bytes (both held as Latin-1 strings). */
const catV = (bytes: string) => execFileSync('cat', ['-v'], { input: Buffer.from(bytes, 'latin1') }).toString('latin1');
const latin1 = (text: string) => Buffer.from(text).toString('latin1');

describe('escapeTerminalBytes', () => {
  it('shows each single byte as cat -v does', () => {
    const every = Array.from({ length: 256 }, (_, code) => `<${String.fromCharCode(code)}>\n`).join('');
    expect(escapeTerminalBytes(every)).toBe(catV(every));
  });

  it("shows the issue's hostile line as cat -v does: no title, no return to the line's start", () => {
    const hostile = 'a\u001b]0;PWNED\u0007b\rfake.host: forged\n';
    expect(escapeTerminalBytes(hostile)).toBe(catV(hostile));
    expect(escapeTerminalBytes(hostile)).toBe('a^[]0;PWNED^Gb^Mfake.host: forged\n');
  });

  it('keeps tab, newline, a \\r that ends a line, and well-formed UTF-8; shows C1 controls as cat -v shows their bytes', () => {
    const text = latin1('tab\there\r\nhéllo ✓ 😀\n');
    expect(escapeTerminalBytes(text)).toBe(text);
    expect(escapeTerminalBytes(latin1('a\u009b2Jb'))).toBe('aM-BM-^[2Jb');
    expect(escapeTerminalBytes(latin1('a\u009b2Jb'))).toBe(catV(latin1('a\u009b2Jb')));
    expect(escapeTerminalBytes('ends in\r')).toBe('ends in^M');
  });

  it('shows bytes that are not UTF-8 one by one, and keeps what follows them', () => {
    // A lead byte cut short, an overlong form, a surrogate, a lone continuation byte.
    expect(escapeTerminalBytes('\xc3(')).toBe('M-C(');
    expect(escapeTerminalBytes('\xc0\xaf')).toBe('M-@M-/');
    expect(escapeTerminalBytes('\xed\xa0\x80')).toBe('M-mM- M-^@');
    expect(escapeTerminalBytes(`\x80${latin1('é')}`)).toBe(`M-^@${latin1('é')}`);
  });
});

describe('escapeTerminalText', () => {
  it('escapes a JavaScript string the same way, and leaves plain text alone', () => {
    expect(escapeTerminalText('exit code 1')).toBe('exit code 1');
    expect(escapeTerminalText('naïve\u001b[2J\u009b')).toBe('naïve^[[2JM-BM-^[');
  });
});

describe('escapeTerminalField', () => {
  it('keeps a field on its one line: a newline, and a \\r before it, show escaped too', () => {
    expect(escapeTerminalField('web1')).toBe('web1');
    expect(escapeTerminalField('web1\nweb[2-99] (98)')).toBe('web1^Jweb[2-99] (98)');
    expect(escapeTerminalField('a\r\nb\u001b[2J')).toBe('a^M^Jb^[[2J');
  });
});

describe('escapeJsonControls', () => {
  it('writes DEL and C1 as \\u escapes: the same value, nothing for a terminal to obey', () => {
    const value = { data: 'a\u009b2J\u007f\u001b é' };
    const shown = escapeJsonControls(JSON.stringify(value));
    expect(shown).toBe('{"data":"a\\u009b2J\\u007f\\u001b é"}');
    expect(JSON.parse(shown)).toEqual(value);
  });
});
